// motebook: emlearn_neighbors, k-nearest-neighbours classifier on int16 features using emlearn's
// eml_neighbors.h, with the Python API of emlearn-micropython: new(max_items, n_features, k),
// .additem(features, label), .predict(features), .getresult(i), .getitem(i, out).
// Memory: data (max_items * n_features int16), labels and a distance table, made at new().
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

MB_EML_INCLUDE_BEGIN
#include <eml_neighbors.h>
MB_EML_INCLUDE_END

#define MB_NEIGHBORS_MAX_ITEMS (32767)
#define MB_NEIGHBORS_MAX_FEATURES (4096)

typedef struct _mb_neighbors_obj_t {
    mp_obj_base_t base;
    EmlNeighborsModel model;
    EmlNeighborsDistanceItem *distances;
    mp_int_t n_results; // distances valid after the last predict()
} mb_neighbors_obj_t;

static const mp_obj_type_t mb_neighbors_type;

static mb_neighbors_obj_t *mb_neighbors_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_neighbors_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_neighbors model"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

static mp_obj_t mb_neighbors_new(mp_obj_t items_in, mp_obj_t features_in, mp_obj_t k_in) {
    mp_int_t max_items = mb_get_int_range(items_in, 1, MB_NEIGHBORS_MAX_ITEMS, "max_items");
    mp_int_t n_features = mb_get_int_range(features_in, 1, MB_NEIGHBORS_MAX_FEATURES, "n_features");
    mp_int_t k = mb_get_int_range(k_in, 1, max_items, "k");
    mb_neighbors_obj_t *o = mp_obj_malloc(mb_neighbors_obj_t, &mb_neighbors_type);
    memset(&o->model, 0, sizeof(o->model));
    o->model.n_features = (uint16_t)n_features;
    o->model.max_items = (int16_t)max_items;
    o->model.k_neighbors = (int16_t)k;
    o->model.data = m_new0(int16_t, (size_t)(max_items * n_features));
    o->model.labels = m_new0(int16_t, (size_t)max_items);
    o->distances = m_new0(EmlNeighborsDistanceItem, (size_t)max_items);
    o->n_results = 0;
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_neighbors_new_obj, mb_neighbors_new);

// additem(features: array('h') of n_features, label 0..9) -> index of the new item
static mp_obj_t mb_neighbors_additem(mp_obj_t self_in, mp_obj_t features_in, mp_obj_t label_in) {
    mb_neighbors_obj_t *o = mb_neighbors_get(self_in);
    const int16_t *f = mb_get_int16_array(features_in, o->model.n_features, NULL, "features");
    mp_int_t label = mb_get_int_range(label_in, 0, EML_NEIGHBORS_MAX_CLASSES - 1, "label");
    if (o->model.n_items >= o->model.max_items) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many items (max_items reached)"));
    }
    mp_int_t index = o->model.n_items;
    if (eml_neighbors_add_item(&o->model, f, (int16_t)o->model.n_features, (int16_t)label) != EmlOk) {
        mp_raise_ValueError(MP_ERROR_TEXT("additem failed"));
    }
    return MP_OBJ_NEW_SMALL_INT(index);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_neighbors_additem_obj, mb_neighbors_additem);

// predict(features: array('h') of n_features) -> label of the majority of the k nearest items
static mp_obj_t mb_neighbors_predict(mp_obj_t self_in, mp_obj_t features_in) {
    mb_neighbors_obj_t *o = mb_neighbors_get(self_in);
    const int16_t *f = mb_get_int16_array(features_in, o->model.n_features, NULL, "features");
    if (o->model.n_items < o->model.k_neighbors) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("need at least k=%d items, have %d"),
            (int)o->model.k_neighbors, (int)o->model.n_items);
    }
    int16_t out = -1;
    o->n_results = 0;
    EmlError err = eml_neighbors_predict(&o->model, f, o->model.n_features,
        o->distances, o->model.max_items, &out);
    if (err != EmlOk) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("eml_neighbors_predict failed: %d"), (int)err);
    }
    o->n_results = o->model.n_items;
    return MP_OBJ_NEW_SMALL_INT(out);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_neighbors_predict_obj, mb_neighbors_predict);

// getresult(i) -> (item index, distance, label) of the i-th nearest item of the last predict()
static mp_obj_t mb_neighbors_getresult(mp_obj_t self_in, mp_obj_t i_in) {
    mb_neighbors_obj_t *o = mb_neighbors_get(self_in);
    if (o->n_results == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("no results (call predict first)"));
    }
    mp_int_t i = mb_get_int_range(i_in, 0, o->n_results - 1, "result index");
    const EmlNeighborsDistanceItem *d = &o->distances[i];
    mp_obj_t items[3] = {
        MP_OBJ_NEW_SMALL_INT(d->index),
        mp_obj_new_int_from_uint(d->distance),
        MP_OBJ_NEW_SMALL_INT(o->model.labels[d->index]),
    };
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_neighbors_getresult_obj, mb_neighbors_getresult);

// getitem(i, out: array('h') of n_features): copy the features of item i
static mp_obj_t mb_neighbors_getitem(mp_obj_t self_in, mp_obj_t i_in, mp_obj_t out_in) {
    mb_neighbors_obj_t *o = mb_neighbors_get(self_in);
    if (o->model.n_items == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("model has no items"));
    }
    mp_int_t i = mb_get_int_range(i_in, 0, o->model.n_items - 1, "item index");
    mp_buffer_info_t info;
    mp_get_buffer_raise(out_in, &info, MP_BUFFER_RW);
    if (info.typecode != 'h') {
        mp_raise_ValueError(MP_ERROR_TEXT("out: expecting array('h')"));
    }
    if (info.len != sizeof(int16_t) * o->model.n_features) {
        mp_raise_ValueError(MP_ERROR_TEXT("out: wrong length"));
    }
    memcpy(info.buf, o->model.data + i * o->model.n_features, info.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_neighbors_getitem_obj, mb_neighbors_getitem);

static const mp_rom_map_elem_t mb_neighbors_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&mb_neighbors_predict_obj) },
    { MP_ROM_QSTR(MP_QSTR_additem), MP_ROM_PTR(&mb_neighbors_additem_obj) },
    { MP_ROM_QSTR(MP_QSTR_getresult), MP_ROM_PTR(&mb_neighbors_getresult_obj) },
    { MP_ROM_QSTR(MP_QSTR_getitem), MP_ROM_PTR(&mb_neighbors_getitem_obj) },
};
static MP_DEFINE_CONST_DICT(mb_neighbors_locals, mb_neighbors_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_neighbors_type,
    MP_QSTR_emlneighbors,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_neighbors_locals
    );

static const mp_rom_map_elem_t mb_neighbors_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_neighbors) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_neighbors_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_neighbors_globals, mb_neighbors_globals_table);

const mp_obj_module_t mb_neighbors_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_neighbors_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_neighbors, mb_neighbors_module);
