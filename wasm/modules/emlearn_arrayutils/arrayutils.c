// motebook: emlearn_arrayutils.linear_map(inp, out, in_min, in_max, out_min, out_max), the API
// of emlearn-micropython's module: map each element linearly from [in_min, in_max] to
// [out_min, out_max], clamp to the output range, and store it in `out` (array 'h' or 'f';
// float -> int16 truncates toward zero, as upstream's C cast). Used to quantise features to
// int16 for emlearn_trees. In place is allowed (inp is out). No allocation.
// Ours (issue 22): quantize_rows(rows, factors, offsets, X, start, end), shared.quant's
// quantize_value over rows[start:end] into the flat int16 X, in the interpreter's float type
// and with the same operations, so the same int16 values as the Python loop.
#include "py/runtime.h"
#include "mb_emlearn.h"

static float mb_map(float x, float in_min, float in_max, float out_min, float out_max) {
    float v = (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min;
    float lo = out_min < out_max ? out_min : out_max;
    float hi = out_min < out_max ? out_max : out_min;
    return v < lo ? lo : (v > hi ? hi : v);
}

static float mb_arg_float(mp_obj_t o, const char *what) {
    float v = (float)mp_obj_get_float(o);
    if (!isfinite(v)) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s must be finite"), what);
    }
    return v;
}

static mp_obj_t mb_linear_map(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t in, out;
    mp_get_buffer_raise(args[0], &in, MP_BUFFER_READ);
    mp_get_buffer_raise(args[1], &out, MP_BUFFER_RW);
    const float in_min = mb_arg_float(args[2], "in_min");
    const float in_max = mb_arg_float(args[3], "in_max");
    const float out_min = mb_arg_float(args[4], "out_min");
    const float out_max = mb_arg_float(args[5], "out_max");
    if (in_min == in_max) {
        mp_raise_ValueError(MP_ERROR_TEXT("in_min and in_max must differ"));
    }
    if ((in.typecode != 'h' && in.typecode != 'f') || (out.typecode != 'h' && out.typecode != 'f')) {
        mp_raise_ValueError(MP_ERROR_TEXT("expecting array('h') or array('f')"));
    }
    size_t n = in.len / (in.typecode == 'h' ? 2 : 4);
    if (out.len / (out.typecode == 'h' ? 2 : 4) != n) {
        mp_raise_ValueError(MP_ERROR_TEXT("length mismatch"));
    }
    if (out.typecode == 'h' && (out_min < -32768.0f || out_min > 32767.0f
                                || out_max < -32768.0f || out_max > 32767.0f)) {
        mp_raise_ValueError(MP_ERROR_TEXT("output range must fit int16"));
    }
    if (in.typecode == 'f') {
        mb_check_finite((const float *)in.buf, n, "inp");
    }
    for (size_t i = 0; i < n; i++) {
        float x = in.typecode == 'h' ? (float)((const int16_t *)in.buf)[i] : ((const float *)in.buf)[i];
        float y = mb_map(x, in_min, in_max, out_min, out_max);
        if (out.typecode == 'h') {
            ((int16_t *)out.buf)[i] = (int16_t)y;
        } else {
            ((float *)out.buf)[i] = y;
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_linear_map_obj, 6, 6, mb_linear_map);

// quantize_rows(rows: list of array('f'), factors: list of floats, offsets: list of ints,
//               X: array('h') of len(rows) * n, start, end): q = clamp(round_half_away(
// x * factor - offset), -32768, 32767), NaN -> 0 (shared/quant.py), row i into X[i*n:(i+1)*n]
static mp_obj_t mb_quantize_rows(size_t n_args, const mp_obj_t *args) {
    size_t n_rows, nf, n_off;
    mp_obj_t *rows, *fac, *off;
    mp_obj_get_array(args[0], &n_rows, &rows);
    mp_obj_get_array(args[1], &nf, &fac);
    mp_obj_get_array(args[2], &n_off, &off);
    if (nf != n_off || nf < 1 || nf > 1024) {
        mp_raise_ValueError(MP_ERROR_TEXT("factors and offsets: 1..1024 of each"));
    }
    size_t nx;
    int16_t *X = (int16_t *)mb_get_int16_array(args[3], -1, &nx, "X");
    mp_int_t start = mp_obj_get_int(args[4]), end = mp_obj_get_int(args[5]);
    if (nx != n_rows * nf || start < 0 || end < start || (size_t)end > n_rows) {
        mp_raise_ValueError(MP_ERROR_TEXT("X must hold len(rows) * n_features; 0 <= start <= end <= len(rows)"));
    }
    mp_float_t f[1024];
    mp_float_t o[1024];
    for (size_t j = 0; j < nf; j++) {
        f[j] = mp_obj_get_float(fac[j]);
        o[j] = (mp_float_t)mp_obj_get_int(off[j]);
    }
    for (mp_int_t i = start; i < end; i++) {
        mp_buffer_info_t info;
        mp_get_buffer_raise(rows[i], &info, MP_BUFFER_READ);
        if (info.typecode != 'f' || info.len != nf * sizeof(float)) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("row %d: expecting array('f') of %d"),
                (int)i, (int)nf);
        }
        const float *r = info.buf;
        int16_t *q = X + (size_t)i * nf;
        for (size_t j = 0; j < nf; j++) {
            mp_float_t v = (mp_float_t)r[j] * f[j] - o[j];
            int t;
            if (v != v) {
                t = 0;
            } else if (v <= (mp_float_t)-32768) {
                t = -32768;
            } else if (v >= (mp_float_t)32767) {
                t = 32767;
            } else {
                t = (int)v;     // toward zero, as int(v)
                mp_float_t fr = v - (mp_float_t)t;
                if (fr >= (mp_float_t)0.5) {
                    t += 1;
                } else if (fr <= (mp_float_t)-0.5) {
                    t -= 1;
                }
            }
            q[j] = (int16_t)t;
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_quantize_rows_obj, 6, 6, mb_quantize_rows);

static const mp_rom_map_elem_t mb_arrayutils_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_quantize_rows), MP_ROM_PTR(&mb_quantize_rows_obj) },
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_arrayutils) },
    { MP_ROM_QSTR(MP_QSTR_linear_map), MP_ROM_PTR(&mb_linear_map_obj) },
};
static MP_DEFINE_CONST_DICT(mb_arrayutils_globals, mb_arrayutils_globals_table);

const mp_obj_module_t mb_arrayutils_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_arrayutils_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_arrayutils, mb_arrayutils_module);
