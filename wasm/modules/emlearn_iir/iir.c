// motebook: emlearn_iir, cascaded biquad (SOS) IIR filter on array('f') using emlearn's
// eml_iir.h, with the Python API of emlearn-micropython: new(coeffs), .run(values) in place.
// coeffs follow scipy.signal's sos layout, 6 per stage: b0 b1 b2 a0 a1 a2 (a0 must be 1).
// Memory: copies of the coefficients and 4 state floats per stage, made at new().
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

MB_EML_INCLUDE_BEGIN
#include <eml_iir.h>
MB_EML_INCLUDE_END

#define MB_IIR_MAX_STAGES (64)

typedef struct _mb_iir_obj_t {
    mp_obj_base_t base;
    EmlIIR filter;
} mb_iir_obj_t;

static const mp_obj_type_t mb_iir_type;

// new(coeffs: array('f') of 6 * n_stages)
static mp_obj_t mb_iir_new(mp_obj_t coeffs_in) {
    size_t n = 0;
    float *c = mb_get_float_array(coeffs_in, -1, &n, "coefficients");
    if (n == 0 || n % 6 != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("coefficients: length must be a non-zero multiple of 6"));
    }
    if (n / 6 > MB_IIR_MAX_STAGES) {
        mp_raise_ValueError(MP_ERROR_TEXT("coefficients: too many stages"));
    }
    mb_check_finite(c, n, "coefficients");
    for (size_t s = 0; s < n / 6; s++) {
        if (fabsf(c[s * 6 + 3] - 1.0f) > 1e-6f) {
            mp_raise_ValueError(MP_ERROR_TEXT("coefficients: a0 of every stage must be 1 (normalised sos)"));
        }
    }
    mb_iir_obj_t *o = mp_obj_malloc(mb_iir_obj_t, &mb_iir_type);
    memset(&o->filter, 0, sizeof(o->filter));
    o->filter.n_stages = (int)(n / 6);
    o->filter.states_length = o->filter.n_stages * 4;
    o->filter.states = m_new0(float, (size_t)o->filter.states_length);
    float *copy = m_new(float, n);
    memcpy(copy, c, sizeof(float) * n);
    o->filter.coefficients = copy;
    o->filter.coefficients_length = (int)n;
    if (eml_iir_check(o->filter) != EmlOk) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid IIR filter"));
    }
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_iir_new_obj, mb_iir_new);

// run(values: array('f')): filtered in place; the state carries over between calls
static mp_obj_t mb_iir_run(mp_obj_t self_in, mp_obj_t values_in) {
    if (!mp_obj_is_type(self_in, &mb_iir_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_iir filter"));
    }
    mb_iir_obj_t *o = MP_OBJ_TO_PTR(self_in);
    size_t n = 0;
    float *v = mb_get_float_array(values_in, -1, &n, "values");
    // checked before filtering, so a NaN cannot poison the filter state
    mb_check_finite(v, n, "values");
    for (size_t i = 0; i < n; i++) {
        v[i] = eml_iir_filter(o->filter, v[i]);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_iir_run_obj, mb_iir_run);

static const mp_rom_map_elem_t mb_iir_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_run), MP_ROM_PTR(&mb_iir_run_obj) },
};
static MP_DEFINE_CONST_DICT(mb_iir_locals, mb_iir_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_iir_type,
    MP_QSTR_emliir,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_iir_locals
    );

static const mp_rom_map_elem_t mb_iir_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_iir) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_iir_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_iir_globals, mb_iir_globals_table);

const mp_obj_module_t mb_iir_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_iir_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_iir, mb_iir_module);
