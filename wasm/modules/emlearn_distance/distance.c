// motebook: emlearn_distance, an elliptic-envelope anomaly scorer on emlearn's eml_distance.h
// in emlearn-micropython's style: new(n_features), .setdata(means, precision, threshold),
// .score(values, out) (squared Mahalanobis distance per row: higher = more anomalous),
// .predict(values, flags) (1 where score > threshold). Rows are array('f') n_rows*n_features.
// Memory: n_features means and n_features^2 precision floats, made at new(); score/predict
// allocate nothing.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

MB_EML_INCLUDE_BEGIN
#include <eml_distance.h>
MB_EML_INCLUDE_END

#define MB_DISTANCE_MAX_FEATURES (1024)

typedef struct _mb_distance_obj_t {
    mp_obj_base_t base;
    EmlEllipticEnvelope model;
    float *means;
    float *precision;
    float threshold;
    bool ready; // setdata() called
} mb_distance_obj_t;

static const mp_obj_type_t mb_distance_type;

static mb_distance_obj_t *mb_distance_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_distance_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_distance model"));
    }
    mb_distance_obj_t *o = MP_OBJ_TO_PTR(self_in);
    return o;
}

static mb_distance_obj_t *mb_distance_ready(mp_obj_t self_in) {
    mb_distance_obj_t *o = mb_distance_get(self_in);
    if (!o->ready) {
        mp_raise_ValueError(MP_ERROR_TEXT("no model (call setdata first)"));
    }
    return o;
}

// new(n_features)
static mp_obj_t mb_distance_new(mp_obj_t features_in) {
    mp_int_t n = mb_get_int_range(features_in, 1, MB_DISTANCE_MAX_FEATURES, "n_features");
    mb_distance_obj_t *o = mp_obj_malloc(mb_distance_obj_t, &mb_distance_type);
    o->means = m_new0(float, (size_t)n);
    o->precision = m_new0(float, (size_t)(n * n));
    o->model.n_features = (int)n;
    o->model.decision_boundary = 0.0f;
    o->model.means = o->means;
    o->model.precision = o->precision;
    o->threshold = 0.0f;
    o->ready = false;
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_distance_new_obj, mb_distance_new);

// setdata(means: array('f') n, precision: array('f') n*n (row-major, symmetric), threshold)
static mp_obj_t mb_distance_setdata(size_t n_args, const mp_obj_t *args) {
    mb_distance_obj_t *o = mb_distance_get(args[0]);
    size_t n = (size_t)o->model.n_features;
    const float *m = mb_get_float_array(args[1], (mp_int_t)n, NULL, "means");
    const float *p = mb_get_float_array(args[2], (mp_int_t)(n * n), NULL, "precision");
    float threshold = mb_get_finite_float(args[3], "threshold");
    mb_check_finite(m, n, "means");
    mb_check_finite(p, n * n, "precision");
    for (size_t i = 0; i < n; i++) {
        if (!(p[i * n + i] > 0.0f)) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("precision: diagonal %d must be positive"), (int)i);
        }
    }
    memcpy(o->means, m, n * sizeof(float));
    memcpy(o->precision, p, n * n * sizeof(float));
    o->threshold = threshold;
    o->model.decision_boundary = -threshold; // emlearn: outlier when -dist < boundary
    o->ready = true;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_distance_setdata_obj, 4, 4, mb_distance_setdata);

// score(values: array('f') rows*n, out: array('f') rows): squared Mahalanobis distance
static mp_obj_t mb_distance_score(mp_obj_t self_in, mp_obj_t values_in, mp_obj_t out_in) {
    mb_distance_obj_t *o = mb_distance_ready(self_in);
    size_t rows;
    float *out = mb_get_float_array(out_in, -1, &rows, "out");
    int n = o->model.n_features;
    const float *v = mb_get_rows(values_in, rows, (size_t)n);
    for (size_t r = 0; r < rows; r++) {
        float dist = 0.0f;
        eml_elliptic_envelope_predict(&o->model, v + r * (size_t)n, n, &dist);
        out[r] = dist;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_distance_score_obj, mb_distance_score);

// predict(values, flags: array('B')/bytearray rows) -> count of rows with score > threshold
static mp_obj_t mb_distance_predict(mp_obj_t self_in, mp_obj_t values_in, mp_obj_t out_in) {
    mb_distance_obj_t *o = mb_distance_ready(self_in);
    size_t rows;
    uint8_t *out = mb_get_uint8_array(out_in, -1, &rows, true, "flags");
    int n = o->model.n_features;
    const float *v = mb_get_rows(values_in, rows, (size_t)n);
    mp_int_t count = 0;
    for (size_t r = 0; r < rows; r++) {
        int outlier = eml_elliptic_envelope_predict(&o->model, v + r * (size_t)n, n, NULL);
        out[r] = (uint8_t)(outlier == 1);
        count += out[r];
    }
    return MP_OBJ_NEW_SMALL_INT(count);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_distance_predict_obj, mb_distance_predict);

// threshold() -> the threshold given to setdata
static mp_obj_t mb_distance_threshold(mp_obj_t self_in) {
    return mp_obj_new_float((mp_float_t)mb_distance_ready(self_in)->threshold);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_distance_threshold_obj, mb_distance_threshold);

static const mp_rom_map_elem_t mb_distance_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_setdata), MP_ROM_PTR(&mb_distance_setdata_obj) },
    { MP_ROM_QSTR(MP_QSTR_score), MP_ROM_PTR(&mb_distance_score_obj) },
    { MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&mb_distance_predict_obj) },
    { MP_ROM_QSTR(MP_QSTR_threshold), MP_ROM_PTR(&mb_distance_threshold_obj) },
};
static MP_DEFINE_CONST_DICT(mb_distance_locals, mb_distance_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_distance_type,
    MP_QSTR_emlenvelope,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_distance_locals
    );

static const mp_rom_map_elem_t mb_distance_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_distance) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_distance_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_distance_globals, mb_distance_globals_table);

const mp_obj_module_t mb_distance_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_distance_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_distance, mb_distance_module);
