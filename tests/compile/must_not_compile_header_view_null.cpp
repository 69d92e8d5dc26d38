// Must not compile: a null char* header value; std::nullopt is null.
#include <kwire/producer/producer.hpp>

void f() { (void)kwire::producer::HeaderView("k", nullptr); }
