// Must not compile: a null char* as an owned value; std::nullopt is null.
#include <kwire/producer/producer.hpp>

void f() { (void)kwire::producer::ProducerRecord("t", "k", nullptr); }
