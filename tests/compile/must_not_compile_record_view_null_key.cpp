// Must not compile: a null char* key would be strlen(nullptr); std::nullopt is null.
#include <kwire/producer/producer.hpp>

void f() { (void)kwire::producer::RecordView("t", nullptr, "v"); }
