// motebook: emlearn_fft, in-place radix-2 FFT on array('f') using emlearn's eml_fft.h, with the
// Python API of emlearn-micropython: FFT(n), .run(real, imag), .fill(sin, cos), fill(fft, n).
// Memory: two float tables of n/2 made at FFT(n) (filled there, so fill() is optional);
// run() allocates nothing.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

MB_EML_INCLUDE_BEGIN
#include <eml_fft.h>
MB_EML_INCLUDE_END

#define MB_FFT_MAX_N (65536)

typedef struct _mb_fft_obj_t {
    mp_obj_base_t base;
    EmlFFT fft; // length = n/2, sin/cos tables
    mp_int_t n;
} mb_fft_obj_t;

static const mp_obj_type_t mb_fft_type;

static void mb_fft_compute_tables(mb_fft_obj_t *o) {
    const double step = 2.0 * 3.14159265358979323846 / (double)o->n;
    for (mp_int_t i = 0; i < o->n / 2; i++) {
        o->fft.sin[i] = (float)sin(step * (double)i);
        o->fft.cos[i] = (float)cos(step * (double)i);
    }
}

static mp_obj_t mb_fft_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    mp_int_t n = mb_get_int_range(args[0], 2, MB_FFT_MAX_N, "FFT length");
    if ((n & (n - 1)) != 0) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("FFT length must be a power of two, got %d"), (int)n);
    }
    mb_fft_obj_t *o = mp_obj_malloc(mb_fft_obj_t, type);
    o->n = n;
    o->fft.length = (int)(n / 2);
    o->fft.sin = m_new(float, n / 2);
    o->fft.cos = m_new(float, n / 2);
    mb_fft_compute_tables(o);
    return MP_OBJ_FROM_PTR(o);
}

static mb_fft_obj_t *mb_fft_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_fft_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_fft.FFT"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

// run(real, imag): both array('f') of length n, transformed in place
static mp_obj_t mb_fft_run(mp_obj_t self_in, mp_obj_t real_in, mp_obj_t imag_in) {
    mb_fft_obj_t *o = mb_fft_get(self_in);
    float *re = mb_get_float_array(real_in, o->n, NULL, "real");
    float *im = mb_get_float_array(imag_in, o->n, NULL, "imag");
    if (re == im) {
        mp_raise_ValueError(MP_ERROR_TEXT("real and imag must be different arrays"));
    }
    mb_check_finite(re, (size_t)o->n, "real");
    mb_check_finite(im, (size_t)o->n, "imag");
    EmlError err = eml_fft_forward(o->fft, re, im, (size_t)o->n);
    if (err != EmlOk) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("eml_fft_forward failed: %d"), (int)err);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_fft_run_obj, mb_fft_run);

// fill(sin, cos): upstream's way to load the twiddle tables (array('f') of n/2 each)
static mp_obj_t mb_fft_fill_method(mp_obj_t self_in, mp_obj_t sin_in, mp_obj_t cos_in) {
    mb_fft_obj_t *o = mb_fft_get(self_in);
    float *s = mb_get_float_array(sin_in, o->n / 2, NULL, "sin");
    float *c = mb_get_float_array(cos_in, o->n / 2, NULL, "cos");
    mb_check_finite(s, (size_t)(o->n / 2), "sin");
    mb_check_finite(c, (size_t)(o->n / 2), "cos");
    memcpy(o->fft.sin, s, sizeof(float) * (size_t)(o->n / 2));
    memcpy(o->fft.cos, c, sizeof(float) * (size_t)(o->n / 2));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_fft_fill_method_obj, mb_fft_fill_method);

// module-level fill(fft, n), as emlearn-micropython's emlearn_fft.fill: (re)compute the tables
static mp_obj_t mb_fft_fill(mp_obj_t fft_in, mp_obj_t n_in) {
    mb_fft_obj_t *o = mb_fft_get(fft_in);
    if (mp_obj_get_int(n_in) != o->n) {
        mp_raise_ValueError(MP_ERROR_TEXT("fill: n does not match the FFT length"));
    }
    mb_fft_compute_tables(o);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_fft_fill_obj, mb_fft_fill);

static const mp_rom_map_elem_t mb_fft_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_run), MP_ROM_PTR(&mb_fft_run_obj) },
    { MP_ROM_QSTR(MP_QSTR_fill), MP_ROM_PTR(&mb_fft_fill_method_obj) },
};
static MP_DEFINE_CONST_DICT(mb_fft_locals, mb_fft_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_fft_type,
    MP_QSTR_FFT,
    MP_TYPE_FLAG_NONE,
    make_new, mb_fft_make_new,
    locals_dict, &mb_fft_locals
    );

static const mp_rom_map_elem_t mb_fft_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_fft) },
    { MP_ROM_QSTR(MP_QSTR_FFT), MP_ROM_PTR(&mb_fft_type) },
    { MP_ROM_QSTR(MP_QSTR_fill), MP_ROM_PTR(&mb_fft_fill_obj) },
};
static MP_DEFINE_CONST_DICT(mb_fft_globals, mb_fft_globals_table);

const mp_obj_module_t mb_fft_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_fft_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_fft, mb_fft_module);
