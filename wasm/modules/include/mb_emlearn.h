// motebook: helpers shared by our emlearn bindings (wasm/modules/*).
// Argument checking that turns bad input into Python exceptions; no allocation here.
#ifndef MB_EMLEARN_H
#define MB_EMLEARN_H

#include <math.h>
#include "py/runtime.h"
#include "py/binary.h"

// emlearn's headers define non-static helpers and mix float/double; our ports build with
// -Wall -Werror -Wdouble-promotion -Wfloat-conversion, so silence those around the includes.
#define MB_EML_INCLUDE_BEGIN \
    _Pragma("GCC diagnostic push") \
    _Pragma("GCC diagnostic ignored \"-Wunused-function\"") \
    _Pragma("GCC diagnostic ignored \"-Wunused-variable\"") \
    _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"") \
    _Pragma("GCC diagnostic ignored \"-Wsign-compare\"") \
    _Pragma("GCC diagnostic ignored \"-Wdouble-promotion\"") \
    _Pragma("GCC diagnostic ignored \"-Wfloat-conversion\"") \
    _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define MB_EML_INCLUDE_END _Pragma("GCC diagnostic pop")

// Errors follow emlearn-micropython: an array of the wrong typecode is a ValueError (code
// written for upstream's modules catches that), an object without the buffer protocol a
// TypeError (from mp_get_buffer_raise).

// A writable array('f') buffer; expect_len < 0 accepts any length.
static inline float *mb_get_float_array(mp_obj_t obj, mp_int_t expect_len, size_t *len_out, const char *what) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, MP_BUFFER_RW);
    if (info.typecode != 'f') {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expecting array('f')"), what);
    }
    size_t n = info.len / sizeof(float);
    if (expect_len >= 0 && n != (size_t)expect_len) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expected length %d, got %d"),
            what, (int)expect_len, (int)n);
    }
    if (len_out) {
        *len_out = n;
    }
    return (float *)info.buf;
}

// A readable array('h') buffer (int16); expect_len < 0 accepts any length.
static inline int16_t *mb_get_int16_array(mp_obj_t obj, mp_int_t expect_len, size_t *len_out, const char *what) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, MP_BUFFER_READ);
    if (info.typecode != 'h') {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expecting array('h')"), what);
    }
    size_t n = info.len / sizeof(int16_t);
    if (expect_len >= 0 && n != (size_t)expect_len) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expected length %d, got %d"),
            what, (int)expect_len, (int)n);
    }
    if (len_out) {
        *len_out = n;
    }
    return (int16_t *)info.buf;
}

// A uint8 buffer: array('B'), bytearray or bytes (writable when `writable`); expect_len < 0
// accepts any length. ValueError for another typecode (as emlearn-micropython's kmeans).
static inline uint8_t *mb_get_uint8_array(mp_obj_t obj, mp_int_t expect_len, size_t *len_out,
    bool writable, const char *what) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(obj, &info, writable ? MP_BUFFER_RW : MP_BUFFER_READ);
    if (info.typecode != 'B' && info.typecode != BYTEARRAY_TYPECODE) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expecting array('B') or bytearray"), what);
    }
    if (expect_len >= 0 && info.len != (size_t)expect_len) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expected length %d, got %d"),
            what, (int)expect_len, (int)info.len);
    }
    if (len_out) {
        *len_out = info.len;
    }
    return (uint8_t *)info.buf;
}

// Raise ValueError if any value is NaN or infinite.
static inline void mb_check_finite(const float *v, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: NaN or infinite value at index %d"),
                what, (int)i);
        }
    }
}

// An int argument within [lo, hi], else ValueError naming it.
static inline mp_int_t mb_get_int_range(mp_obj_t obj, mp_int_t lo, mp_int_t hi, const char *what) {
    mp_int_t v = mp_obj_get_int(obj);
    if (v < lo || v > hi) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s must be in [%d, %d], got %d"),
            what, (int)lo, (int)hi, (int)v);
    }
    return v;
}

// The rows of an anomaly model's input: array('f') of n_rows * n_features finite values
// (ValueError otherwise); n_rows comes from the caller's output array.
static inline const float *mb_get_rows(mp_obj_t obj, size_t n_rows, size_t n_features) {
    const float *v = mb_get_float_array(obj, (mp_int_t)(n_rows * n_features), NULL, "values");
    mb_check_finite(v, n_rows * n_features, "values");
    return v;
}

// A finite float argument, else ValueError naming it.
static inline float mb_get_finite_float(mp_obj_t obj, const char *what) {
    float v = (float)mp_obj_get_float(obj);
    if (!isfinite(v)) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s must be finite"), what);
    }
    return v;
}

#endif // MB_EMLEARN_H
