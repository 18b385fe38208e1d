// The addon's side of the kernel specs (src/kernels/spec.ts). Each kernel's
// arguments struct is declared once, by an X-macro list of
//   X(C++ type, member, "spec field name", nullable)
// from which GRU_ARGS makes both the struct and its field table. The generic
// reader in addon.cc fills a struct from a call's arguments in table order;
// info() lists every table, so the JS loader passes the fields in this order
// and checks them, by name, kind and nullability, against the spec. Sizes and
// data (ids, targets) are checked by the registry before any kernel runs.
#pragma once
#include <cstddef>
#include <cstdint>

// Compiled in by scripts/build-native.mjs from KERNEL_ABI in spec.ts; the
// loader refuses an addon whose number differs.
#ifndef GRU_KERNEL_ABI
#define GRU_KERNEL_ABI 0
#endif

namespace grunative {

/** How the reader takes a field: a non-negative integer, a number, a boolean, or a typed array. */
enum class Kind : uint8_t { Int, Float, Flag, F32, I32 };

struct FieldInfo {
  const char* name;
  Kind kind;
  bool writable;  // arrays: written by the kernel (spec roles out and inout)
  bool nullable;  // arrays: may be null
  size_t offset;  // of the member in its struct
};

template <class T> struct KindOf;
template <> struct KindOf<long> { static constexpr Kind kind = Kind::Int; static constexpr bool writable = false; };
template <> struct KindOf<float> { static constexpr Kind kind = Kind::Float; static constexpr bool writable = false; };
template <> struct KindOf<bool> { static constexpr Kind kind = Kind::Flag; static constexpr bool writable = false; };
template <> struct KindOf<const float*> { static constexpr Kind kind = Kind::F32; static constexpr bool writable = false; };
template <> struct KindOf<float*> { static constexpr Kind kind = Kind::F32; static constexpr bool writable = true; };
template <> struct KindOf<const int32_t*> { static constexpr Kind kind = Kind::I32; static constexpr bool writable = false; };

}  // namespace grunative

#define GRU_ARGS_MEMBER(type, member, name, nullable) type member;
#define GRU_ARGS_INFO(type, member, name, nullable) \
  grunative::FieldInfo{name, grunative::KindOf<type>::kind, grunative::KindOf<type>::writable, nullable, offsetof(Self, member)},

/** struct Struct { the members }, and Struct##Fields::list, its field table. */
#define GRU_ARGS(Struct, FIELDS)                                       \
  struct Struct {                                                      \
    FIELDS(GRU_ARGS_MEMBER)                                            \
  };                                                                   \
  struct Struct##Fields {                                              \
    using Self = Struct;                                               \
    static constexpr grunative::FieldInfo list[] = {FIELDS(GRU_ARGS_INFO)}; \
  };
