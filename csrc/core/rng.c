/* The mt19937 engine, seeding and state bytes of PyTorch's CPU generator (ct_rng.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctorch/ct_rng.h"

#define MT_M 397

static inline uint32_t twist(uint32_t u, uint32_t v) {
    return (((u & 0x80000000u) | (v & 0x7fffffffu)) >> 1) ^ ((v & 1u) ? 0x9908b0dfu : 0u);
}

/* in place, so the last M words already see the new first ones */
void ct_mt_twist(ct_generator *g) {
    uint32_t *s = g->state;
    int i = 0;
    for (; i < CT_MT_N - MT_M; i++) s[i] = s[i + MT_M] ^ twist(s[i], s[i + 1]);
    for (; i < CT_MT_N - 1; i++) s[i] = s[i + MT_M - CT_MT_N] ^ twist(s[i], s[i + 1]);
    s[CT_MT_N - 1] = s[MT_M - 1] ^ twist(s[CT_MT_N - 1], s[0]);
    g->left = CT_MT_N;
    g->next = 0;
}

void ct_generator_manual_seed(ct_generator *g, uint64_t seed) {
    g->seed = seed;
    g->state[0] = (uint32_t)seed;   /* the engine sees the low 32 bits only */
    for (uint32_t j = 1; j < CT_MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
    g->left = 1;   /* the first draw twists */
    g->next = 0;
    g->has_next_double = g->has_next_float = false;
}

/* 64 bits from /dev/urandom, or from the clock where there is none */
static uint64_t nondeterministic_seed(void) {
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        size_t got = fread(&s, sizeof s, 1, f);
        fclose(f);
        if (got == 1) return s;
    }
    s = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)clock() ^ (uint64_t)(uintptr_t)&s;
    return s;
}

uint64_t ct_generator_seed(ct_generator *g) {
    uint64_t s = nondeterministic_seed();
    ct_generator_manual_seed(g, s);
    return s;
}

ct_generator *ct_generator_new(ct_device device, uint64_t seed) {
    ct_generator *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->device = device;
    ct_generator_manual_seed(g, seed);
    return g;
}

void ct_generator_free(ct_generator *g) { free(g); }

ct_generator *ct_default_generator(ct_device_type type) {
    static ct_generator cpu;
    static int ready;   /* first called at import, while only one thread runs */
    if (type != CT_DEV_CPU) return NULL;
    if (!ready) {
        cpu.device = ct_cpu();
        ct_generator_seed(&cpu);
        ready = 1;
    }
    return &cpu;
}

void ct_generator_lock(ct_generator *g) {
    while (__atomic_exchange_n(&g->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&g->lock, __ATOMIC_RELAXED)) {
        }
}

void ct_generator_unlock(ct_generator *g) { __atomic_store_n(&g->lock, 0, __ATOMIC_RELEASE); }

/* Byte offsets of PyTorch's CPUGeneratorImplState (x86-64 / aarch64 layout):
 * the legacy THGenerator fields, then the float normal cache. */
enum {
    OFF_SEED = 0,           /* uint64 the_initial_seed */
    OFF_LEFT = 8,           /* int left */
    OFF_SEEDED = 12,        /* int seeded */
    OFF_NEXT = 16,          /* uint64 next */
    OFF_STATE = 24,         /* uint64 state[624], one 32-bit word each */
    OFF_NORMAL_X = 5016,    /* double normal_x (unused) */
    OFF_NORMAL_Y = 5024,    /* double normal_y: the cached double sample */
    OFF_NORMAL_RHO = 5032,  /* double normal_rho (unused) */
    OFF_NORMAL_VALID = 5040,/* int normal_is_valid */
    OFF_FLOAT = 5048,       /* float next_float_normal_sample */
    OFF_FLOAT_VALID = 5052, /* bool is_next_float_normal_sample_valid */
};

void ct_generator_get_state(ct_generator *g, uint8_t *out) {
    memset(out, 0, CT_RNG_STATE_BYTES);
    uint64_t next = g->next;
    int32_t left = g->left, seeded = 1, valid = g->has_next_double;
    memcpy(out + OFF_SEED, &g->seed, 8);
    memcpy(out + OFF_LEFT, &left, 4);
    memcpy(out + OFF_SEEDED, &seeded, 4);
    memcpy(out + OFF_NEXT, &next, 8);
    for (int i = 0; i < CT_MT_N; i++) {
        uint64_t w = g->state[i];
        memcpy(out + OFF_STATE + 8 * i, &w, 8);
    }
    if (g->has_next_double) memcpy(out + OFF_NORMAL_Y, &g->next_double, 8);
    memcpy(out + OFF_NORMAL_VALID, &valid, 4);
    if (g->has_next_float) memcpy(out + OFF_FLOAT, &g->next_float, 4);
    out[OFF_FLOAT_VALID] = g->has_next_float;
}

int ct_generator_set_state(ct_generator *g, const uint8_t *in, int64_t nbytes) {
    if (nbytes != CT_RNG_STATE_BYTES)
        return ct_error(CT_ERR_RUNTIME, "Expected a CPUGeneratorImplState of size %d but found the input RNG state "
                        "size to be %lld", CT_RNG_STATE_BYTES, (long long)nbytes);
    uint64_t seed, next;
    int32_t left, seeded, valid;
    memcpy(&seed, in + OFF_SEED, 8);
    memcpy(&left, in + OFF_LEFT, 4);
    memcpy(&seeded, in + OFF_SEEDED, 4);
    memcpy(&next, in + OFF_NEXT, 8);
    memcpy(&valid, in + OFF_NORMAL_VALID, 4);
    /* PyTorch narrows `next` to 32 bits and `seeded` to bool before checking */
    if (!seeded || left <= 0 || left > CT_MT_N || (uint32_t)next > CT_MT_N)
        return ct_error(CT_ERR_RUNTIME, "Invalid mt19937 state");
    g->seed = seed;
    g->left = left;
    g->next = (uint32_t)next;
    for (int i = 0; i < CT_MT_N; i++) {
        uint64_t w;
        memcpy(&w, in + OFF_STATE + 8 * i, 8);
        g->state[i] = (uint32_t)w;
    }
    g->has_next_double = valid != 0;
    g->next_double = 0;
    if (valid) memcpy(&g->next_double, in + OFF_NORMAL_Y, 8);
    g->has_next_float = in[OFF_FLOAT_VALID] != 0;
    g->next_float = 0;
    if (g->has_next_float) memcpy(&g->next_float, in + OFF_FLOAT, 4);
    return 0;
}
