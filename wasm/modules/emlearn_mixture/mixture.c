// motebook: emlearn_mixture, a Gaussian-mixture anomaly scorer on emlearn's eml_mixture.h in
// emlearn-micropython's style: new(n_components, n_features, covariance_type),
// .setdata(means, precisions_cholesky, log_weights, threshold), .score(values, out)
// (-log p(x) per row: higher = more anomalous), .predict(values, flags),
// .predict_log_proba(values, out) (log w_c + log N(x | c), rows*k). covariance_type "full"
// runs eml_mixture_score; "diag" (which eml_mixture.h 0.23.2 answers EmlUnsupported) runs our
// loop below with the same formula on the k*d diagonal, instead of emlearn's converter's
// expansion to full matrices (k*d*d floats). Memory: the parameters and k scratch floats,
// made at new(); score/predict allocate nothing.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

MB_EML_INCLUDE_BEGIN
#include <eml_mixture.h>
MB_EML_INCLUDE_END

#define MB_MIXTURE_MAX_FEATURES (1024)
#define MB_MIXTURE_MAX_COMPONENTS (255)

typedef struct _mb_mixture_obj_t {
    mp_obj_base_t base;
    EmlMixtureModel model;
    float *means;
    float *precisions;
    float *log_dets;
    float *log_weights;
    float *scratch; // k log probabilities of one row
    size_t n_precisions;
    float threshold;
    bool diag;
    bool ready; // setdata() called
} mb_mixture_obj_t;

static const mp_obj_type_t mb_mixture_type;

static mb_mixture_obj_t *mb_mixture_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_mixture_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_mixture model"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

static mb_mixture_obj_t *mb_mixture_ready(mp_obj_t self_in) {
    mb_mixture_obj_t *o = mb_mixture_get(self_in);
    if (!o->ready) {
        mp_raise_ValueError(MP_ERROR_TEXT("no model (call setdata first)"));
    }
    return o;
}

// new(n_components, n_features, covariance_type: "full" or "diag")
static mp_obj_t mb_mixture_new(mp_obj_t components_in, mp_obj_t features_in, mp_obj_t type_in) {
    mp_int_t k = mb_get_int_range(components_in, 1, MB_MIXTURE_MAX_COMPONENTS, "n_components");
    mp_int_t d = mb_get_int_range(features_in, 1, MB_MIXTURE_MAX_FEATURES, "n_features");
    const char *type = mp_obj_str_get_str(type_in);
    bool diag;
    if (strcmp(type, "full") == 0) {
        diag = false;
    } else if (strcmp(type, "diag") == 0) {
        diag = true;
    } else {
        mp_raise_ValueError(MP_ERROR_TEXT("covariance_type must be 'full' or 'diag'"));
    }
    mb_mixture_obj_t *o = mp_obj_malloc(mb_mixture_obj_t, &mb_mixture_type);
    o->diag = diag;
    o->n_precisions = (size_t)(diag ? k * d : k * d * d);
    o->means = m_new0(float, (size_t)(k * d));
    o->precisions = m_new0(float, o->n_precisions);
    o->log_dets = m_new0(float, (size_t)k);
    o->log_weights = m_new0(float, (size_t)k);
    o->scratch = m_new0(float, (size_t)k);
    o->model.n_components = (int32_t)k;
    o->model.n_features = (int32_t)d;
    // diag models never reach eml_mixture_predict_log_proba (see the header)
    o->model.covariance_type = diag ? EmlCovarianceDiagonal : EmlCovarianceFull;
    o->model.means = o->means;
    o->model.precisions = o->precisions;
    o->model.log_dets = o->log_dets;
    o->model.log_weights = o->log_weights;
    o->threshold = 0.0f;
    o->ready = false;
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_mixture_new_obj, mb_mixture_new);

// setdata(means k*d, precisions_cholesky (full: k*d*d, [c][p][f] upper-triangular as
// scikit-learn's precisions_cholesky_; diag: k*d), log_weights k, threshold)
static mp_obj_t mb_mixture_setdata(size_t n_args, const mp_obj_t *args) {
    mb_mixture_obj_t *o = mb_mixture_get(args[0]);
    size_t k = (size_t)o->model.n_components, d = (size_t)o->model.n_features;
    const float *m = mb_get_float_array(args[1], (mp_int_t)(k * d), NULL, "means");
    const float *p = mb_get_float_array(args[2], (mp_int_t)o->n_precisions, NULL, "precisions");
    const float *w = mb_get_float_array(args[3], (mp_int_t)k, NULL, "log_weights");
    float threshold = mb_get_finite_float(args[4], "threshold");
    mb_check_finite(m, k * d, "means");
    mb_check_finite(p, o->n_precisions, "precisions");
    mb_check_finite(w, k, "log_weights");
    // log det of each precision Cholesky = sum of the logs of its diagonal (must be > 0)
    for (size_t c = 0; c < k; c++) {
        double s = 0.0;
        for (size_t i = 0; i < d; i++) {
            float v = o->diag ? p[c * d + i] : p[c * d * d + i * d + i];
            if (!(v > 0.0f)) {
                mp_raise_msg_varg(&mp_type_ValueError,
                    MP_ERROR_TEXT("precisions: component %d diagonal %d must be positive"), (int)c, (int)i);
            }
            s += log((double)v);
        }
        o->log_dets[c] = (float)s;
    }
    memcpy(o->means, m, k * d * sizeof(float));
    memcpy(o->precisions, p, o->n_precisions * sizeof(float));
    memcpy(o->log_weights, w, k * sizeof(float));
    o->threshold = threshold;
    o->ready = true;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_mixture_setdata_obj, 5, 5, mb_mixture_setdata);

// log w_c + log N(x | c) for each component into out[0:k]
static void mb_mixture_log_proba(mb_mixture_obj_t *o, const float *x, float *out) {
    const int32_t k = o->model.n_components, d = o->model.n_features;
    if (!o->diag) {
        int32_t err = eml_mixture_predict_log_proba(&o->model, x, d, out);
        if (err != EmlOk) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("eml_mixture_predict_log_proba failed: %d"), (int)err);
        }
        return;
    }
    for (int32_t c = 0; c < k; c++) {
        const float *mean = o->means + c * d;
        const float *prec = o->precisions + c * d;
        float s = 0.0f;
        for (int32_t f = 0; f < d; f++) {
            const float y = (x[f] - mean[f]) * prec[f];
            s += y * y;
        }
        out[c] = (float)(-0.5 * ((double)d * EML_LOG_2PI + (double)s)) + o->log_dets[c] + o->log_weights[c];
    }
}

// -log p(x) of one row
static float mb_mixture_row_score(mb_mixture_obj_t *o, const float *x) {
    mb_mixture_log_proba(o, x, o->scratch);
    float s = 0.0f;
    eml_logsumexp(o->scratch, o->model.n_components, &s);
    return -s;
}

// score(values: array('f') rows*d, out: array('f') rows): -log p(x)
static mp_obj_t mb_mixture_score(mp_obj_t self_in, mp_obj_t values_in, mp_obj_t out_in) {
    mb_mixture_obj_t *o = mb_mixture_ready(self_in);
    size_t rows, d = (size_t)o->model.n_features;
    float *out = mb_get_float_array(out_in, -1, &rows, "out");
    const float *v = mb_get_rows(values_in, rows, d);
    for (size_t r = 0; r < rows; r++) {
        out[r] = mb_mixture_row_score(o, v + r * d);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_mixture_score_obj, mb_mixture_score);

// predict(values, flags: array('B')/bytearray rows) -> count of rows with score > threshold
static mp_obj_t mb_mixture_predict(mp_obj_t self_in, mp_obj_t values_in, mp_obj_t out_in) {
    mb_mixture_obj_t *o = mb_mixture_ready(self_in);
    size_t rows, d = (size_t)o->model.n_features;
    uint8_t *out = mb_get_uint8_array(out_in, -1, &rows, true, "flags");
    const float *v = mb_get_rows(values_in, rows, d);
    mp_int_t count = 0;
    for (size_t r = 0; r < rows; r++) {
        out[r] = (uint8_t)(mb_mixture_row_score(o, v + r * d) > o->threshold);
        count += out[r];
    }
    return MP_OBJ_NEW_SMALL_INT(count);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_mixture_predict_obj, mb_mixture_predict);

// predict_log_proba(values: array('f') rows*d, out: array('f') rows*k)
static mp_obj_t mb_mixture_predict_log_proba(mp_obj_t self_in, mp_obj_t values_in, mp_obj_t out_in) {
    mb_mixture_obj_t *o = mb_mixture_ready(self_in);
    size_t n_out, k = (size_t)o->model.n_components, d = (size_t)o->model.n_features;
    float *out = mb_get_float_array(out_in, -1, &n_out, "out");
    if (n_out % k) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("out: length must be rows * %d"), (int)k);
    }
    size_t rows = n_out / k;
    const float *v = mb_get_rows(values_in, rows, d);
    for (size_t r = 0; r < rows; r++) {
        mb_mixture_log_proba(o, v + r * d, out + r * k);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_mixture_predict_log_proba_obj, mb_mixture_predict_log_proba);

// threshold() -> the threshold given to setdata
static mp_obj_t mb_mixture_threshold(mp_obj_t self_in) {
    return mp_obj_new_float((mp_float_t)mb_mixture_ready(self_in)->threshold);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_mixture_threshold_obj, mb_mixture_threshold);

static const mp_rom_map_elem_t mb_mixture_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_setdata), MP_ROM_PTR(&mb_mixture_setdata_obj) },
    { MP_ROM_QSTR(MP_QSTR_score), MP_ROM_PTR(&mb_mixture_score_obj) },
    { MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&mb_mixture_predict_obj) },
    { MP_ROM_QSTR(MP_QSTR_predict_log_proba), MP_ROM_PTR(&mb_mixture_predict_log_proba_obj) },
    { MP_ROM_QSTR(MP_QSTR_threshold), MP_ROM_PTR(&mb_mixture_threshold_obj) },
};
static MP_DEFINE_CONST_DICT(mb_mixture_locals, mb_mixture_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_mixture_type,
    MP_QSTR_emlmixture,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_mixture_locals
    );

static const mp_rom_map_elem_t mb_mixture_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_mixture) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_mixture_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_mixture_globals, mb_mixture_globals_table);

const mp_obj_module_t mb_mixture_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_mixture_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_mixture, mb_mixture_module);
