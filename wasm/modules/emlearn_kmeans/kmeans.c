// motebook: emlearn_kmeans_c, the C half of emlearn_kmeans (the frozen Python half,
// wasm/frozen/common/emlearn_kmeans.py, has cluster_iter() and cluster()), with the API of
// emlearn-micropython's module: k-means over uint8 rows of `features` values each.
// emlearn 0.23.2's C headers have no clustering code, so the algorithm is written here, to
// upstream's semantics: squared Euclidean distance summed in uint32, a tie goes to the lowest
// centroid index, a centroid becomes the floor of its members' mean, an empty cluster keeps
// its centroid. Memory: update() allocates k * (features + 1) uint32 for the call; the rest
// works in the caller's buffers.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

#define MB_KMEANS_MAX_FEATURES (254)  // upstream asserts features < 255
#define MB_KMEANS_MAX_CLUSTERS (254)  // assignments are uint8; 255 marks "not assigned yet"
#define MB_KMEANS_MAX_SAMPLES (65534) // upstream asserts n_samples < 65535

// index of the vector (of `features` values) in vectors[0 .. n_vectors) nearest to point
static mp_int_t mb_argmin(const uint8_t *vectors, mp_int_t n_vectors, const uint8_t *point,
    mp_int_t features, uint32_t *out_dist) {
    mp_int_t best = 0;
    uint32_t best_dist = UINT32_MAX;
    for (mp_int_t i = 0; i < n_vectors; i++) {
        const uint8_t *c = vectors + i * features;
        uint32_t dist = 0;
        for (mp_int_t j = 0; j < features; j++) {
            int32_t diff = (int32_t)point[j] - (int32_t)c[j];
            dist += (uint32_t)(diff * diff);
        }
        if (dist < best_dist) {
            best_dist = dist;
            best = i;
        }
    }
    *out_dist = best_dist;
    return best;
}

// euclidean_argmin(vectors, point) -> (index, squared distance) of the vector nearest to point;
// vectors holds len(vectors) // len(point) vectors of len(point) values, one after another.
static mp_obj_t mb_euclidean_argmin(mp_obj_t vectors_in, mp_obj_t point_in) {
    size_t n_values, n_point;
    const uint8_t *vectors = mb_get_uint8_array(vectors_in, -1, &n_values, false, "vectors");
    const uint8_t *point = mb_get_uint8_array(point_in, -1, &n_point, false, "point");
    if (n_point == 0 || n_values == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("vectors and point must not be empty"));
    }
    if (n_values % n_point != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("vectors length must be divisible by @point dimensions"));
    }
    uint32_t dist = 0;
    mp_int_t index = mb_argmin(vectors, (mp_int_t)(n_values / n_point), point, (mp_int_t)n_point, &dist);
    mp_obj_t items[2] = { MP_OBJ_NEW_SMALL_INT(index), mp_obj_new_int_from_uint(dist) };
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_euclidean_argmin_obj, mb_euclidean_argmin);

typedef struct {
    const uint8_t *values;
    uint8_t *centroids;
    uint8_t *assignments;
    mp_int_t features, n_samples, n_clusters;
} mb_kmeans_args_t;

// the shapes of (values, centroids, assignments, features), checked as upstream does (and more)
static void mb_kmeans_args(const mp_obj_t *args, bool centroids_rw, bool assignments_rw,
    mb_kmeans_args_t *a) {
    size_t n_values, n_centroids, n_assign;
    a->features = mb_get_int_range(args[3], 1, MB_KMEANS_MAX_FEATURES, "features");
    a->values = mb_get_uint8_array(args[0], -1, &n_values, false, "values");
    a->centroids = mb_get_uint8_array(args[1], -1, &n_centroids, centroids_rw, "centroids");
    a->assignments = mb_get_uint8_array(args[2], -1, &n_assign, assignments_rw, "assignments");
    if (n_values % a->features != 0 || n_centroids % a->features != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("values and centroids lengths must be multiples of features"));
    }
    a->n_samples = (mp_int_t)(n_values / a->features);
    a->n_clusters = (mp_int_t)(n_centroids / a->features);
    if (a->n_clusters < 1 || a->n_clusters > MB_KMEANS_MAX_CLUSTERS) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("need 1..%d centroids, got %d"),
            MB_KMEANS_MAX_CLUSTERS, (int)a->n_clusters);
    }
    if (a->n_samples > MB_KMEANS_MAX_SAMPLES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("at most %d samples, got %d"),
            MB_KMEANS_MAX_SAMPLES, (int)a->n_samples);
    }
    if ((mp_int_t)n_assign < a->n_samples) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("assignments: need %d items, got %d"),
            (int)a->n_samples, (int)n_assign);
    }
}

// assign(values, centroids, assignments, features) -> number of samples whose nearest
// centroid changed (assignments[s] updated in place)
static mp_obj_t mb_kmeans_assign(size_t n_args, const mp_obj_t *args) {
    mb_kmeans_args_t a;
    mb_kmeans_args(args, false, true, &a);
    mp_int_t changes = 0;
    for (mp_int_t s = 0; s < a.n_samples; s++) {
        uint32_t dist;
        mp_int_t c = mb_argmin(a.centroids, a.n_clusters, a.values + s * a.features, a.features, &dist);
        if (a.assignments[s] != c) {
            changes++;
            a.assignments[s] = (uint8_t)c;
        }
    }
    return MP_OBJ_NEW_SMALL_INT(changes);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_kmeans_assign_obj, 4, 4, mb_kmeans_assign);

// update(values, centroids, assignments, features): each centroid with members becomes the
// floor of their mean; ValueError (nothing changed) if an assignment is not a centroid index
static mp_obj_t mb_kmeans_update(size_t n_args, const mp_obj_t *args) {
    mb_kmeans_args_t a;
    mb_kmeans_args(args, true, false, &a);
    for (mp_int_t s = 0; s < a.n_samples; s++) {
        if (a.assignments[s] >= a.n_clusters) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("assignments[%d] = %d is not a centroid index"),
                (int)s, (int)a.assignments[s]);
        }
    }
    size_t n_sums = (size_t)(a.n_clusters * a.features);
    uint32_t *sums = m_new0(uint32_t, n_sums + (size_t)a.n_clusters);
    uint32_t *counts = sums + n_sums;
    for (mp_int_t s = 0; s < a.n_samples; s++) {
        const uint8_t *v = a.values + s * a.features;
        uint32_t *acc = sums + a.assignments[s] * a.features;
        for (mp_int_t j = 0; j < a.features; j++) {
            acc[j] += v[j];
        }
        counts[a.assignments[s]]++;
    }
    for (mp_int_t c = 0; c < a.n_clusters; c++) {
        if (counts[c] == 0) {
            continue;
        }
        for (mp_int_t j = 0; j < a.features; j++) {
            a.centroids[c * a.features + j] = (uint8_t)(sums[c * a.features + j] / counts[c]);
        }
    }
    m_del(uint32_t, sums, n_sums + (size_t)a.n_clusters);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_kmeans_update_obj, 4, 4, mb_kmeans_update);

static const mp_rom_map_elem_t mb_kmeans_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_kmeans_c) },
    { MP_ROM_QSTR(MP_QSTR_euclidean_argmin), MP_ROM_PTR(&mb_euclidean_argmin_obj) },
    { MP_ROM_QSTR(MP_QSTR_assign), MP_ROM_PTR(&mb_kmeans_assign_obj) },
    { MP_ROM_QSTR(MP_QSTR_update), MP_ROM_PTR(&mb_kmeans_update_obj) },
};
static MP_DEFINE_CONST_DICT(mb_kmeans_globals, mb_kmeans_globals_table);

const mp_obj_module_t mb_kmeans_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_kmeans_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_kmeans_c, mb_kmeans_module);
