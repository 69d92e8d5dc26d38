// Must not compile: the view would outlive the temporary string (use Header, which owns).
#include <kwire/producer/producer.hpp>

void f() { kwire::producer::HeaderView h{"k", std::string("v")}; (void)h; }
