// Which kernel set runs (chosen once per process from the CPU's features).
#pragma once

namespace grunative {

enum class Isa { Generic, Avx2, Avx512 };

Isa isa();
const char* isa_name();
/** Floats per vector register of the chosen kernel set. */
int isa_vector_width();

}  // namespace grunative
