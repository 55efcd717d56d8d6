/* Random number generators: PyTorch's CPU generator, value for value.
 *
 * The engine is mt19937 with PyTorch's seeding (only the low 32 bits of the
 * 64-bit seed reach the engine; the full seed is kept for initial_seed()),
 * random() gives one 32-bit draw, random64() two (first draw in the high
 * half). A generator also caches the second Box-Muller sample of the scalar
 * normal path, as PyTorch's CPUGeneratorImpl does, and its state serializes
 * to PyTorch's 5056-byte layout so get_rng_state() / set_rng_state() move
 * between the two libraries. */
#ifndef CT_RNG_H
#define CT_RNG_H

#include <stdbool.h>
#include <stdint.h>

#include "ct_tensor.h"

#define CT_MT_N 624
#define CT_RNG_STATE_BYTES 5056                      /* sizeof(CPUGeneratorImplState) */
#define CT_DEFAULT_RNG_SEED 67280421310721ULL        /* PyTorch's seed of a new Generator */

typedef struct ct_generator {
    ct_device device;
    int lock;                    /* spin lock: kernels hold it while they draw */
    uint64_t seed;               /* as given; initial_seed() */
    int left;                    /* draws left before the next twist (1..624) */
    uint32_t next;               /* index of the next state word */
    uint32_t state[CT_MT_N];
    bool has_next_double, has_next_float;   /* cached second Box-Muller samples */
    double next_double;
    float next_float;
} ct_generator;

ct_generator *ct_generator_new(ct_device device, uint64_t seed);   /* NULL when out of memory */
void ct_generator_free(ct_generator *g);
/* the default generator of a device type (CPU: seeded from /dev/urandom at first use) */
ct_generator *ct_default_generator(ct_device_type type);

void ct_generator_manual_seed(ct_generator *g, uint64_t seed);
uint64_t ct_generator_seed(ct_generator *g);   /* reseed nondeterministically; returns the seed */
/* PyTorch's state bytes; set_state checks size and validity (RuntimeError) */
void ct_generator_get_state(ct_generator *g, uint8_t *out);
int ct_generator_set_state(ct_generator *g, const uint8_t *bytes, int64_t nbytes);

void ct_generator_lock(ct_generator *g);
void ct_generator_unlock(ct_generator *g);

/* ---- draws (the caller holds the lock) ---- */
void ct_mt_twist(ct_generator *g);   /* regenerate the 624 state words */

static inline uint32_t ct_rng_random(ct_generator *g) {
    if (--g->left == 0) ct_mt_twist(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static inline uint64_t ct_rng_random64(ct_generator *g) {
    uint64_t hi = ct_rng_random(g);
    return (hi << 32) | ct_rng_random(g);
}

/* uniform in [0, 1): 24 random bits for float, 53 for double (PyTorch's uniform_real) */
static inline float ct_rng_uniform_float(ct_generator *g) {
    return (float)(ct_rng_random(g) & 0xffffffu) * (1.0f / 16777216.0f);
}
static inline double ct_rng_uniform_double(ct_generator *g) {
    return (double)(ct_rng_random64(g) & 0x1fffffffffffffull) * (1.0 / 9007199254740992.0);
}

#endif
