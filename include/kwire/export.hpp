#pragma once
// What a kwire shared library exports (BUILD_SHARED_LIBS=ON). The libraries
// are then compiled with hidden visibility (-fvisibility=hidden
// -fvisibility-inlines-hidden, cmake/KwireTargets.cmake), so only what is
// declared between KWIRE_PUBLIC_BEGIN and KWIRE_PUBLIC_END — the body of every
// installed header — is in their dynamic symbol tables. Internals (the
// producer's sender, accumulator, batches and buffer pool, each library's
// src/ headers) stay hidden, so they can change without breaking programs
// linked against an older build with the same soname.
//
// One block per header rather than a macro on each class and function: a
// free function or a new class in a public header cannot be forgotten.
// For static libraries the attributes change nothing.
//
// KWIRE_EXPORT marks one declaration outside such a block (an internal that
// another kwire library calls across the shared-library boundary).
#if defined(__GNUC__) || defined(__clang__)
#define KWIRE_PUBLIC_BEGIN _Pragma("GCC visibility push(default)")
#define KWIRE_PUBLIC_END _Pragma("GCC visibility pop")
#define KWIRE_EXPORT __attribute__((visibility("default")))
#else
#define KWIRE_PUBLIC_BEGIN
#define KWIRE_PUBLIC_END
#define KWIRE_EXPORT
#endif
