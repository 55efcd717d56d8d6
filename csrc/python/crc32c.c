/* ctorch._C._crc32c(data, crc=0) -> int: CRC-32C (Castagnoli, the checksum of
 * TFRecord / TensorBoard event files) of a bytes-like object, continuing from
 * `crc`. The SSE4.2 crc32 instruction where the CPU has it, else slicing-by-8
 * tables (8 bytes per step). */
#include "ct_python.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define CT_CRC_SSE42 1
#endif

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t crc_table[8][256];

/* crc_table[k][b]: the CRC of byte b followed by k zero bytes */
static void crc_tables_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++) c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        crc_table[0][b] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            crc_table[k][b] = (crc_table[k - 1][b] >> 8) ^ crc_table[0][crc_table[k - 1][b] & 0xff];
}

static uint32_t crc_bytes(uint32_t crc, const uint8_t *p, size_t n) {
    while (n--) crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

/* crc is the raw (uninverted) register */
static uint32_t crc_slice8(uint32_t crc, const uint8_t *p, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^ crc_table[5][(w >> 16) & 0xff] ^
              crc_table[4][(w >> 24) & 0xff] ^ crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
              crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
    }
#endif
    return crc_bytes(crc, p, n);
}

#ifdef CT_CRC_SSE42
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
    }
    crc = (uint32_t)c;
    for (; n; n--) crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
#endif

static uint32_t (*crc_impl)(uint32_t, const uint8_t *, size_t);

/* picks the implementation once (called with the GIL held, so no race) */
static void crc_select(void) {
#ifdef CT_CRC_SSE42
    if (__builtin_cpu_supports("sse4.2")) {
        crc_impl = crc_sse42;
        return;
    }
#endif
    crc_tables_init();
    crc_impl = crc_slice8;
}

static PyObject *f_crc32c(PyObject *m, PyObject *args) {
    Py_buffer buf;
    unsigned int crc = 0;
    if (!PyArg_ParseTuple(args, "y*|I:_crc32c", &buf, &crc)) return NULL;
    if (!crc_impl) crc_select();
    uint32_t reg = ~(uint32_t)crc;
    if (buf.len > (1 << 20)) {
        Py_BEGIN_ALLOW_THREADS
        reg = crc_impl(reg, buf.buf, (size_t)buf.len);
        Py_END_ALLOW_THREADS
    } else {
        reg = crc_impl(reg, buf.buf, (size_t)buf.len);
    }
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(~reg);
}

PyMethodDef ct_crc32c_functions[] = {
    {"_crc32c", f_crc32c, METH_VARARGS, NULL},
    {NULL},
};
