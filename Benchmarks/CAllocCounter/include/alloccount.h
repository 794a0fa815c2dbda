#ifndef I2OSIM_ALLOCCOUNT_H
#define I2OSIM_ALLOCCOUNT_H
#include <stdint.h>
/// Calls of malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign in this process so far
/// (the benchmark executable interposes them; see alloccount.c).
uint64_t i2osim_bench_allocations(void);
#endif
