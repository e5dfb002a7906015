// motebook: emlearn_arrayutils.linear_map(inp, out, in_min, in_max, out_min, out_max), the API
// of emlearn-micropython's module: map each element linearly from [in_min, in_max] to
// [out_min, out_max], clamp to the output range, and store it in `out` (array 'h' or 'f';
// float -> int16 truncates toward zero, as upstream's C cast). Used to quantise features to
// int16 for emlearn_trees. In place is allowed (inp is out). No allocation.
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

static const mp_rom_map_elem_t mb_arrayutils_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_arrayutils) },
    { MP_ROM_QSTR(MP_QSTR_linear_map), MP_ROM_PTR(&mb_linear_map_obj) },
};
static MP_DEFINE_CONST_DICT(mb_arrayutils_globals, mb_arrayutils_globals_table);

const mp_obj_module_t mb_arrayutils_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_arrayutils_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_arrayutils, mb_arrayutils_module);
