// motebook: emlearn_extratrees, a tree-ensemble trainer in C (issue 22) in the shape of
// emlearn-micropython's on-device trainer of that name: new(n_features, n_classes, n_trees,
// max_depth, min_samples_leaf, *, max_features, method, bootstrap, seed, max_samples, max_nodes)
// -> model with train(X, y[, rows]), predict(x), predict_proba(x, out), get_n_trees(),
// get_n_nodes_used(), get_n_features(), get_n_classes(); ours adds grow() (one more tree: the
// caller yields between trees), reset() and export() (the nodes into our model's arrays).
// The algorithm is shared/trainer.Trainer's, step for step, so the same seed gives the same
// model (byte for byte the same model file): xorshift32 (shared.compat.Rng) with rejection
// randbelow, a persistent partial Fisher-Yates feature order, extra-trees (one random int
// threshold in (min, max] per feature) or random forest (sorted scan, midpoint thresholds),
// Gini compared as exact integer cross-products (128-bit), depth-first growth with the left
// child first, then the fold of nodes whose two sides reach the same class.
// regression=True (shared/regress.Regressor's criterion): y is array('H') of the targets the
// Regressor quantised (0..16383), a node's statistics are (n, sum, sum of squares), a split
// maximises sum_l^2/n_l + sum_r^2/n_r as exact integer cross-products, a leaf is the value
// lo + unit * (sum / n) in the interpreter's float type, equal values share one leaf
// (a hash table), and leaves() returns them; n_classes must be 1.
// Memory: everything is allocated at new() (max_samples and max_nodes sized up front);
// train/grow/export/predict allocate nothing (leaves() makes its list).
#include <string.h>
#include "py/runtime.h"
#include "py/objstr.h"
#include "mb_emlearn.h"

#define MB_ET_MAX_FEATURES (127)
#define MB_ET_MAX_CLASSES (30)
#define MB_ET_MAX_NODES (32767)
#define MB_ET_MAX_TREES (1024)
#define MB_ET_MAX_SAMPLES (65535)
#define MB_ET_LEVELS (16384)
#define MB_ET_SHIFT (14)

typedef struct { uint64_t hi, lo; } mb_u128_t;

typedef struct {
    uint16_t lo, hi;
    int16_t parent;      // node index, -1 for the root
    uint8_t side;        // 0 left, 1 right
    uint16_t depth;
} mb_et_item_t;

typedef struct _mb_et_obj_t {
    mp_obj_base_t base;
    // parameters
    int n_features, n_classes, n_trees, max_depth, msl, max_features;
    bool rf, bootstrap, regress;
    uint32_t seed;
    mp_float_t lo_value, unit;
    int n_leaves, max_leaves, hcap;
    mp_float_t *leafv;       // regression: max_leaves values
    int16_t *htab;           // regression: hcap slots of leaf + 1 (0: empty)
    uint64_t *sstats;        // regression: stack_cap * 3 (n, sum, sum of squares)
    int max_samples, max_nodes, tree_bound, stack_cap;
    // state
    uint32_t rng;
    int n_nodes, trees_done;
    uint8_t *feats;          // persistent feature order (n_features)
    // model
    uint8_t *feature;        // max_nodes
    int16_t *threshold, *left, *right;
    int16_t *roots;          // n_trees
    // workspace
    uint16_t *idx;           // max_samples
    int16_t *col;            // max_samples (extra: one column)
    uint16_t *lab;           // max_samples (extra: the labels / targets)
    uint32_t *keys, *tmp;    // max_samples each (rf: sort keys)
    mb_et_item_t *stack;     // stack_cap
    uint32_t *scounts;       // stack_cap * n_classes
    uint32_t *counts, *lc, *best_lc, *rc; // n_classes each
    int16_t *gone, *renum;   // tree_bound each
} mb_et_obj_t;

static const mp_obj_type_t mb_et_type;

// ---- shared.compat.Rng ----------------------------------------------------------------
static uint32_t mb_et_next(mb_et_obj_t *o) {
    uint32_t x = o->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    o->rng = x;
    return x;
}

static uint32_t mb_et_randbelow(mb_et_obj_t *o, uint32_t n) {
    uint64_t limit = ((uint64_t)1 << 32) - (((uint64_t)1 << 32) % n);
    for (;;) {
        uint32_t x = mb_et_next(o);
        if ((uint64_t)x < limit) {
            return x % n;
        }
    }
}

// ---- exact comparison a*b > c*d of unsigned 64-bit values ------------------------------
static void mb_et_mul(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (p00 & 0xffffffffu) | (mid << 32);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

static bool mb_et_greater(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    uint64_t h1, l1, h2, l2;
    mb_et_mul(a, b, &h1, &l1);
    mb_et_mul(c, d, &h2, &l2);
    return h1 > h2 || (h1 == h2 && l1 > l2);
}

static mb_u128_t mb_et_mul128(uint64_t a, uint64_t b) {
    mb_u128_t r;
    mb_et_mul(a, b, &r.hi, &r.lo);
    return r;
}

static mb_u128_t mb_et_add128(mb_u128_t a, mb_u128_t b) {
    mb_u128_t r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    return r;
}

// a * b for a < 2^128 / b (no overflow by construction: num < 2^78, den < 2^32)
static mb_u128_t mb_et_mul128_64(mb_u128_t a, uint64_t b) {
    mb_u128_t r = mb_et_mul128(a.lo, b);
    r.hi += a.hi * b;
    return r;
}

// num1 * den2 > num2 * den1
static bool mb_et_greater128(mb_u128_t num1, uint64_t den2, mb_u128_t num2, uint64_t den1) {
    mb_u128_t x = mb_et_mul128_64(num1, den2), y = mb_et_mul128_64(num2, den1);
    return x.hi > y.hi || (x.hi == y.hi && x.lo > y.lo);
}

// ---- object --------------------------------------------------------------------------
static mb_et_obj_t *mb_et_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_et_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_extratrees model"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

static void mb_et_reset(mb_et_obj_t *o) {
    o->rng = o->seed ? o->seed : 0x9E3779B9u;   // the all-zero state is a fixed point
    for (int f = 0; f < o->n_features; f++) {
        o->feats[f] = (uint8_t)f;
    }
    o->n_nodes = 0;
    o->trees_done = 0;
    o->n_leaves = 0;
    if (o->htab) {
        memset(o->htab, 0, sizeof(int16_t) * (size_t)o->hcap);
    }
}

enum { ARG_n_features, ARG_n_classes, ARG_n_trees, ARG_max_depth, ARG_min_samples_leaf,
       ARG_max_features, ARG_method, ARG_bootstrap, ARG_seed, ARG_max_samples, ARG_max_nodes,
       ARG_regression, ARG_lo, ARG_unit };

// new(n_features, n_classes, n_trees=10, max_depth=10, min_samples_leaf=1, *, max_features=0
//     (0: isqrt(n_features)), method="extra"|"rf", bootstrap=None (rf: True), seed=1,
//     max_samples=1000, max_nodes=0 (0: the most the trees can need))
static mp_obj_t mb_et_new(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    static const mp_arg_t allowed[] = {
        { MP_QSTR_n_features, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_n_classes, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_n_trees, MP_ARG_INT, {.u_int = 10} },
        { MP_QSTR_max_depth, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(10)} },
        { MP_QSTR_min_samples_leaf, MP_ARG_INT, {.u_int = 1} },
        { MP_QSTR_max_features, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_method, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_QSTR(MP_QSTR_extra)} },
        { MP_QSTR_bootstrap, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
        { MP_QSTR_seed, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(1)} },
        { MP_QSTR_max_samples, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 1000} },
        { MP_QSTR_max_nodes, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_regression, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_lo, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
        { MP_QSTR_unit, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_INT(0)} },
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, a);
    int nf = (int)a[ARG_n_features].u_int, nc = (int)a[ARG_n_classes].u_int;
    if (nf < 1 || nf > MB_ET_MAX_FEATURES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("n_features must be 1..%d"), MB_ET_MAX_FEATURES);
    }
    if (nc < 1 || nc > MB_ET_MAX_CLASSES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("n_classes must be 1..%d"), MB_ET_MAX_CLASSES);
    }
    mp_int_t n_trees = a[ARG_n_trees].u_int, msl = a[ARG_min_samples_leaf].u_int;
    if (n_trees < 1 || n_trees > MB_ET_MAX_TREES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("n_trees must be 1..%d"), MB_ET_MAX_TREES);
    }
    if (msl < 1 || msl > MB_ET_MAX_SAMPLES) {
        mp_raise_ValueError(MP_ERROR_TEXT("min_samples_leaf must be >= 1"));
    }
    mp_int_t max_depth = -1;   // None: unlimited
    if (a[ARG_max_depth].u_obj != mp_const_none) {
        max_depth = mp_obj_get_int(a[ARG_max_depth].u_obj);
        if (max_depth < 0) {
            mp_raise_ValueError(MP_ERROR_TEXT("max_depth must be >= 0 or None"));
        }
    }
    mp_int_t ns = a[ARG_max_samples].u_int;
    if (ns < 1 || ns > MB_ET_MAX_SAMPLES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("max_samples must be 1..%d"), MB_ET_MAX_SAMPLES);
    }
    qstr method = mp_obj_str_get_qstr(a[ARG_method].u_obj);
    if (method != MP_QSTR_extra && method != MP_QSTR_rf) {
        mp_raise_ValueError(MP_ERROR_TEXT("method must be one of extra, rf"));
    }
    bool rf = method == MP_QSTR_rf;
    bool bootstrap = a[ARG_bootstrap].u_obj == mp_const_none ? rf : mp_obj_is_true(a[ARG_bootstrap].u_obj);
    mp_int_t mf = a[ARG_max_features].u_int;
    if (mf <= 0) {
        mf = 0;
        while ((mf + 1) * (mf + 1) <= nf) {
            mf++;
        }
    }
    if (mf > nf) {
        mf = nf;
    }
    if (mf < 1) {
        mf = 1;
    }
    // seed: its low 32 bits, as Rng.seed (int(seed) & 0xFFFFFFFF)
    uint32_t seed = (uint32_t)mp_obj_int_get_truncated(a[ARG_seed].u_obj);

    // the nodes one tree can need before folding: leaves <= n / min_samples_leaf and <= 2^depth
    mp_int_t leaves = ns / msl;
    if (max_depth >= 0 && max_depth < 16 && leaves > ((mp_int_t)1 << max_depth)) {
        leaves = (mp_int_t)1 << max_depth;
    }
    mp_int_t bound = leaves - 1 < 1 ? 1 : leaves - 1;
    mp_int_t mn = a[ARG_max_nodes].u_int;
    if (mn <= 0) {
        mn = bound * n_trees;
        if (mn > MB_ET_MAX_NODES) {
            mn = MB_ET_MAX_NODES;
        }
    }
    if (mn < 1 || mn > MB_ET_MAX_NODES) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("max_nodes must be 1..%d"), MB_ET_MAX_NODES);
    }
    if (bound > mn) {
        bound = mn;
    }
    mp_int_t cap = (max_depth >= 0 && max_depth < ns ? max_depth : ns) + 2;
    bool regress = a[ARG_regression].u_bool;
    mp_float_t lo_value = mp_obj_get_float(a[ARG_lo].u_obj), unit = mp_obj_get_float(a[ARG_unit].u_obj);
    if (regress && (nc != 1 || !isfinite(lo_value) || !isfinite(unit) || unit < 0)) {
        mp_raise_ValueError(MP_ERROR_TEXT("regression needs n_classes 1 and finite lo, unit >= 0"));
    }
    mp_int_t max_leaves = n_trees * (bound + 1);
    if (max_leaves > 32767) {
        max_leaves = 32767;
    }

    mb_et_obj_t *o = mp_obj_malloc(mb_et_obj_t, &mb_et_type);
    o->n_features = nf;
    o->n_classes = nc;
    o->n_trees = (int)n_trees;
    o->max_depth = (int)max_depth;
    o->msl = (int)msl;
    o->max_features = (int)mf;
    o->rf = rf;
    o->bootstrap = bootstrap;
    o->seed = seed;
    o->max_samples = (int)ns;
    o->max_nodes = (int)mn;
    o->tree_bound = (int)bound;
    o->stack_cap = (int)cap;
    o->regress = regress;
    o->lo_value = lo_value;
    o->unit = unit;
    o->max_leaves = regress ? (int)max_leaves : 0;
    o->hcap = 0;
    o->htab = NULL;
    o->leafv = NULL;
    o->sstats = NULL;
    if (regress) {
        int h = 16;
        while (h < 2 * max_leaves) {
            h <<= 1;
        }
        o->hcap = h;
        o->htab = m_new0(int16_t, (size_t)h);
        o->leafv = m_new0(mp_float_t, (size_t)max_leaves);
        o->sstats = m_new0(uint64_t, (size_t)(cap * 3));
    }
    o->feats = m_new0(uint8_t, (size_t)nf);
    o->feature = m_new0(uint8_t, (size_t)mn);
    o->threshold = m_new0(int16_t, (size_t)mn);
    o->left = m_new0(int16_t, (size_t)mn);
    o->right = m_new0(int16_t, (size_t)mn);
    o->roots = m_new0(int16_t, (size_t)n_trees);
    o->idx = m_new0(uint16_t, (size_t)ns);
    if (rf) {   // (regression extra-trees: col holds the column, keys the targets' copy is not needed)
        o->keys = m_new0(uint32_t, (size_t)ns);
        o->tmp = m_new0(uint32_t, (size_t)ns);
        o->col = NULL;
        o->lab = NULL;
    } else {
        o->col = m_new0(int16_t, (size_t)ns);
        o->lab = m_new0(uint16_t, (size_t)ns);
        o->keys = o->tmp = NULL;
    }
    o->stack = m_new0(mb_et_item_t, (size_t)cap);
    o->scounts = m_new0(uint32_t, (size_t)(cap * nc));
    o->counts = m_new0(uint32_t, (size_t)(4 * nc));
    o->lc = o->counts + nc;
    o->best_lc = o->counts + 2 * nc;
    o->rc = o->counts + 3 * nc;
    o->gone = m_new0(int16_t, (size_t)bound);
    o->renum = m_new0(int16_t, (size_t)bound);
    mb_et_reset(o);
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(mb_et_new_obj, 2, mb_et_new);

// ---- training --------------------------------------------------------------------------
typedef struct {
    const int16_t *X;
    const uint8_t *y;        // classes
    const uint16_t *t;       // regression: targets
    const uint16_t *rows;
    size_t n_samples, n_rows;
} mb_et_data_t;

// X: array('h') n_samples * n_features; y: bytearray/array('B') of classes < n_classes;
// rows: None (all) or array('H') of sample numbers.
static void mb_et_data(mb_et_obj_t *o, mp_obj_t X_in, mp_obj_t y_in, mp_obj_t rows_in, mb_et_data_t *d) {
    size_t nx, ny;
    d->y = NULL;
    d->t = NULL;
    if (o->regress) {
        mp_buffer_info_t yi;
        mp_get_buffer_raise(y_in, &yi, MP_BUFFER_READ);
        if (yi.typecode != 'H') {
            mp_raise_ValueError(MP_ERROR_TEXT("y: expecting array('H') of quantised targets"));
        }
        d->t = (const uint16_t *)yi.buf;
        ny = yi.len / sizeof(uint16_t);
        for (size_t i = 0; i < ny; i++) {
            if (d->t[i] >= MB_ET_LEVELS) {
                mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("target %d out of range 0..%d"),
                    (int)d->t[i], MB_ET_LEVELS - 1);
            }
        }
    } else {
        d->y = mb_get_uint8_array(y_in, -1, &ny, false, "y");
    }
    d->X = mb_get_int16_array(X_in, -1, &nx, "X");
    if (nx != ny * (size_t)o->n_features) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("X holds %d values, expected %d samples x %d features"),
            (int)nx, (int)ny, o->n_features);
    }
    if (ny > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many samples (65535 at most)"));
    }
    for (size_t i = 0; d->y && i < ny; i++) {
        if (d->y[i] >= o->n_classes) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("label %d out of range 0..%d"),
                (int)d->y[i], o->n_classes - 1);
        }
    }
    d->n_samples = ny;
    if (rows_in == mp_const_none) {
        d->rows = NULL;
        d->n_rows = ny;
    } else {
        mp_buffer_info_t info;
        mp_get_buffer_raise(rows_in, &info, MP_BUFFER_READ);
        if (info.typecode != 'H') {
            mp_raise_ValueError(MP_ERROR_TEXT("rows: expecting array('H')"));
        }
        d->rows = (const uint16_t *)info.buf;
        d->n_rows = info.len / sizeof(uint16_t);
        for (size_t i = 0; i < d->n_rows; i++) {
            if (d->rows[i] >= ny) {
                mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("rows: sample %d out of range 0..%d"),
                    (int)d->rows[i], (int)ny - 1);
            }
        }
    }
    if (d->n_rows < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("no training samples"));
    }
    if (d->n_rows > (size_t)o->max_samples) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%d training samples, max_samples is %d"),
            (int)d->n_rows, o->max_samples);
    }
}

static int mb_et_draw_feature(mb_et_obj_t *o, int j) {
    uint8_t *feats = o->feats;
    int k = j + (int)mb_et_randbelow(o, (uint32_t)(o->n_features - j));
    uint8_t t = feats[j];
    feats[j] = feats[k];
    feats[k] = t;
    return feats[j];
}

static int mb_et_partition(mb_et_obj_t *o, const mb_et_data_t *d, int lo, int hi, int f, int t) {
    const int16_t *X = d->X;
    uint16_t *idx = o->idx;
    int nf = o->n_features, i = lo, j = hi - 1;
    while (i <= j) {
        if (X[(size_t)idx[i] * nf + f] < t) {
            i++;
        } else {
            uint16_t s = idx[i];
            idx[i] = idx[j];
            idx[j] = s;
            j--;
        }
    }
    return i;
}

// extra-trees split of idx[lo:hi]: returns 1 and (f, t, best_lc), or 0
static int mb_et_split_extra(mb_et_obj_t *o, const mb_et_data_t *d, int lo, int hi, const uint32_t *counts,
    int *bf, int *bt) {
    const int16_t *X = d->X;
    int nf = o->n_features, nc = o->n_classes, n = hi - lo, msl = o->msl;
    int16_t *col = o->col;
    uint16_t *lab = o->lab;
    for (int k = 0; k < n; k++) {
        lab[k] = d->y[o->idx[lo + k]];
    }
    bool have = false;
    uint64_t bnum = 0, bden = 1;
    int visited = 0, j = 0;
    while (j < nf && visited < o->max_features) {
        int f = mb_et_draw_feature(o, j);
        j++;
        int mn = 32767, mx = -32768;
        for (int k = 0; k < n; k++) {
            int16_t v = X[(size_t)o->idx[lo + k] * nf + f];
            col[k] = v;
            if (v < mn) {
                mn = v;
            }
            if (v > mx) {
                mx = v;
            }
        }
        if (mn == mx) {
            continue;
        }
        visited++;
        int t = mn + 1 + (int)mb_et_randbelow(o, (uint32_t)(mx - mn));
        uint32_t *lc = o->lc;
        memset(lc, 0, sizeof(uint32_t) * (size_t)nc);
        for (int k = 0; k < n; k++) {
            if (col[k] < t) {
                lc[lab[k]]++;
            }
        }
        uint32_t nl = 0;
        for (int c = 0; c < nc; c++) {
            nl += lc[c];
        }
        uint32_t nr = (uint32_t)n - nl;
        if (nl < (uint32_t)msl || nr < (uint32_t)msl) {
            continue;
        }
        uint64_t al = 0, ar = 0;
        for (int c = 0; c < nc; c++) {
            uint64_t a = lc[c], b = counts[c] - lc[c];
            al += a * a;
            ar += b * b;
        }
        uint64_t num = al * nr + ar * nl, den = (uint64_t)nl * nr;
        if (!have || mb_et_greater(num, bden, bnum, den)) {
            have = true;
            *bf = f;
            *bt = t;
            memcpy(o->best_lc, lc, sizeof(uint32_t) * (size_t)nc);
            bnum = num;
            bden = den;
        }
    }
    return have;
}

// sort n uint32 keys (LSD radix on 24 bits; insertion sort when small)
static void mb_et_sort(uint32_t *keys, uint32_t *tmp, int n, int bits) {
    if (n < 48) {
        for (int i = 1; i < n; i++) {
            uint32_t k = keys[i];
            int j = i - 1;
            while (j >= 0 && keys[j] > k) {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = k;
        }
        return;
    }
    uint32_t *src = keys, *dst = tmp;
    for (int shift = 0; shift < bits; shift += 8) {
        uint32_t hist[257];
        memset(hist, 0, sizeof(hist));
        for (int i = 0; i < n; i++) {
            hist[((src[i] >> shift) & 255) + 1]++;
        }
        for (int b = 0; b < 256; b++) {
            hist[b + 1] += hist[b];
        }
        for (int i = 0; i < n; i++) {
            dst[hist[(src[i] >> shift) & 255]++] = src[i];
        }
        uint32_t *s = src;
        src = dst;
        dst = s;
    }
    if (src != keys) {
        memcpy(keys, src, sizeof(uint32_t) * (size_t)n);
    }
}

// random-forest split: each drawn non-constant feature scanned in sorted order
static int mb_et_split_rf(mb_et_obj_t *o, const mb_et_data_t *d, int lo, int hi, const uint32_t *counts,
    int *bf, int *bt) {
    const int16_t *X = d->X;
    int nf = o->n_features, nc = o->n_classes, n = hi - lo, msl = o->msl;
    uint32_t *keys = o->keys, *lc = o->lc, *rc = o->rc;
    bool have = false;
    uint64_t bnum = 0, bden = 1;
    int visited = 0, j = 0;
    while (j < nf && visited < o->max_features) {
        int f = mb_et_draw_feature(o, j);
        j++;
        for (int k = 0; k < n; k++) {
            size_t i = o->idx[lo + k];
            keys[k] = ((uint32_t)(X[i * nf + f] + 32768) << 8) | d->y[i];
        }
        mb_et_sort(keys, o->tmp, n, 24);
        if ((keys[0] >> 8) == (keys[n - 1] >> 8)) {
            continue;
        }
        visited++;
        memset(lc, 0, sizeof(uint32_t) * (size_t)nc);
        uint64_t al = 0, ar = 0;
        for (int c = 0; c < nc; c++) {
            rc[c] = counts[c];
            ar += (uint64_t)counts[c] * counts[c];
        }
        for (int p = 0; p < n - 1; p++) {
            uint32_t key = keys[p];
            int c = key & 255;
            al += 2 * (uint64_t)lc[c] + 1;
            ar -= 2 * (uint64_t)rc[c] - 1;
            lc[c]++;
            rc[c]--;
            uint32_t v = key >> 8, w = keys[p + 1] >> 8;
            uint32_t nl = (uint32_t)p + 1, nr = (uint32_t)n - nl;
            if (v == w || nl < (uint32_t)msl || nr < (uint32_t)msl) {
                continue;
            }
            uint64_t num = al * nr + ar * nl, den = (uint64_t)nl * nr;
            if (!have || mb_et_greater(num, bden, bnum, den)) {
                have = true;
                bnum = num;
                bden = den;
                *bf = f;
                *bt = (int)((v + w + 1) >> 1) - 32768;
                memcpy(o->best_lc, lc, sizeof(uint32_t) * (size_t)nc);
            }
        }
    }
    return have;
}

// ---- regression (shared/regress.Regressor's hooks) ----
// st = (n, sum, sum of squares); best_st receives the left side's
static int mb_et_rsplit_extra(mb_et_obj_t *o, const mb_et_data_t *d, int lo, int hi, const uint64_t *st,
    int *bf, int *bt, uint64_t *best_st) {
    const int16_t *X = d->X;
    int nf = o->n_features, n = hi - lo, msl = o->msl;
    int16_t *col = o->col;
    uint16_t *lab = o->lab;
    for (int k = 0; k < n; k++) {
        lab[k] = d->t[o->idx[lo + k]];
    }
    bool have = false;
    mb_u128_t bnum = { 0, 0 };
    uint64_t bden = 1;
    int visited = 0, j = 0;
    while (j < nf && visited < o->max_features) {
        int f = mb_et_draw_feature(o, j);
        j++;
        int mn = 32767, mx = -32768;
        for (int k = 0; k < n; k++) {
            int16_t v = X[(size_t)o->idx[lo + k] * nf + f];
            col[k] = v;
            if (v < mn) {
                mn = v;
            }
            if (v > mx) {
                mx = v;
            }
        }
        if (mn == mx) {
            continue;
        }
        visited++;
        int t = mn + 1 + (int)mb_et_randbelow(o, (uint32_t)(mx - mn));
        uint64_t nl = 0, sl = 0, ssl = 0;
        for (int k = 0; k < n; k++) {
            if (col[k] < t) {
                uint64_t v = lab[k];
                nl++;
                sl += v;
                ssl += v * v;
            }
        }
        uint64_t nr = (uint64_t)n - nl;
        if (nl < (uint64_t)msl || nr < (uint64_t)msl) {
            continue;
        }
        uint64_t sr = st[1] - sl;
        mb_u128_t num = mb_et_add128(mb_et_mul128(sl * sl, nr), mb_et_mul128(sr * sr, nl));
        uint64_t den = nl * nr;
        if (!have || mb_et_greater128(num, bden, bnum, den)) {
            have = true;
            *bf = f;
            *bt = t;
            best_st[0] = nl;
            best_st[1] = sl;
            best_st[2] = ssl;
            bnum = num;
            bden = den;
        }
    }
    return have;
}

static int mb_et_rsplit_rf(mb_et_obj_t *o, const mb_et_data_t *d, int lo, int hi, const uint64_t *st,
    int *bf, int *bt, uint64_t *best_st) {
    const int16_t *X = d->X;
    int nf = o->n_features, n = hi - lo, msl = o->msl;
    uint32_t *keys = o->keys;
    bool have = false;
    mb_u128_t bnum = { 0, 0 };
    uint64_t bden = 1;
    int visited = 0, j = 0;
    while (j < nf && visited < o->max_features) {
        int f = mb_et_draw_feature(o, j);
        j++;
        for (int k = 0; k < n; k++) {
            size_t i = o->idx[lo + k];
            keys[k] = ((uint32_t)(X[i * nf + f] + 32768) << MB_ET_SHIFT) | d->t[i];
        }
        mb_et_sort(keys, o->tmp, n, 32);
        if ((keys[0] >> MB_ET_SHIFT) == (keys[n - 1] >> MB_ET_SHIFT)) {
            continue;
        }
        visited++;
        uint64_t total = st[1], sl = 0, ssl = 0;
        for (int p = 0; p < n - 1; p++) {
            uint32_t key = keys[p];
            uint64_t v = key & (MB_ET_LEVELS - 1);
            sl += v;
            ssl += v * v;
            uint32_t a = key >> MB_ET_SHIFT, b = keys[p + 1] >> MB_ET_SHIFT;
            uint64_t nl = (uint64_t)p + 1, nr = (uint64_t)n - nl;
            if (a == b || nl < (uint64_t)msl || nr < (uint64_t)msl) {
                continue;
            }
            uint64_t sr = total - sl;
            mb_u128_t num = mb_et_add128(mb_et_mul128(sl * sl, nr), mb_et_mul128(sr * sr, nl));
            uint64_t den = nl * nr;
            if (!have || mb_et_greater128(num, bden, bnum, den)) {
                have = true;
                bnum = num;
                bden = den;
                *bf = f;
                *bt = (int)((a + b + 1) >> 1) - 32768;
                best_st[0] = nl;
                best_st[1] = sl;
                best_st[2] = ssl;
            }
        }
    }
    return have;
}

// the leaf of value lo + unit * (sum / n); equal values share one leaf (first seen first)
static int16_t mb_et_rleaf(mb_et_obj_t *o, const uint64_t *st) {
    mp_float_t v = o->lo_value + o->unit * ((mp_float_t)st[1] / (mp_float_t)st[0]);
    mp_float_t key = v == 0 ? (mp_float_t)0 : v;   // -0.0 == 0.0, as a dict key
    uint64_t bits = 0;
    memcpy(&bits, &key, sizeof(key));
    bits ^= bits >> 29;
    bits *= 0x9E3779B97F4A7C15ull;
    int mask = o->hcap - 1, h = (int)(bits >> 40) & mask;
    while (o->htab[h]) {
        int k = o->htab[h] - 1;
        if (o->leafv[k] == v) {
            return (int16_t)(-k - 1);
        }
        h = (h + 1) & mask;
    }
    if (o->n_leaves >= o->max_leaves) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("model would exceed %d leaves: lower max_depth or n_trees"), o->max_leaves);
    }
    int k = o->n_leaves++;
    o->leafv[k] = v;
    o->htab[h] = (int16_t)(k + 1);
    return (int16_t)(-k - 1);
}

static int16_t mb_et_leaf(const uint32_t *counts, int nc) {
    int best = 0;
    for (int c = 1; c < nc; c++) {
        if (counts[c] > counts[best]) {
            best = c;
        }
    }
    return (int16_t)(-best - 1);
}

// fold nodes [base, end) whose two sides reach the same leaf; returns the root's new index
static int mb_et_fold(mb_et_obj_t *o, int base, int root) {
    int end = o->n_nodes;
    int16_t *left = o->left, *right = o->right, *gone = o->gone, *renum = o->renum;
    for (int i = end - 1; i >= base; i--) {
        gone[i - base] = 0;
        int16_t l = left[i], r = right[i];
        if (l >= 0 && gone[l - base]) {
            l = gone[l - base];
        }
        if (r >= 0 && gone[r - base]) {
            r = gone[r - base];
        }
        left[i] = l;
        right[i] = r;
        if (l < 0 && l == r) {
            gone[i - base] = l;
        }
    }
    if (root < 0 || gone[root - base]) {
        int16_t leaf = root < 0 ? (int16_t)root : gone[root - base];
        if (base >= o->max_nodes) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("model would exceed %d nodes: lower max_depth or n_trees"), o->max_nodes);
        }
        o->feature[base] = 0;
        o->threshold[base] = 0;
        left[base] = leaf;
        right[base] = leaf;
        o->n_nodes = base + 1;
        return base;
    }
    int k = base;
    for (int i = base; i < end; i++) {
        if (!gone[i - base]) {
            renum[i - base] = (int16_t)k;
            o->feature[k] = o->feature[i];
            o->threshold[k] = o->threshold[i];
            left[k] = left[i];
            right[k] = right[i];
            k++;
        }
    }
    for (int j = base; j < k; j++) {
        if (left[j] >= 0) {
            left[j] = renum[left[j] - base];
        }
        if (right[j] >= 0) {
            right[j] = renum[right[j] - base];
        }
    }
    o->n_nodes = k;
    return renum[root - base];
}

// one regression tree over idx[0:n] (sampled by mb_et_grow)
static void mb_et_rgrow(mb_et_obj_t *o, const mb_et_data_t *d, int n) {
    uint16_t *idx = o->idx;
    int base = o->n_nodes, root = 0, sp;
    uint64_t *st = o->sstats, cur[3], best[3];
    st[0] = (uint64_t)n;
    st[1] = st[2] = 0;
    for (int k = 0; k < n; k++) {
        uint64_t v = d->t[idx[k]];
        st[1] += v;
        st[2] += v * v;
    }
    o->stack[0] = (mb_et_item_t){ .lo = 0, .hi = (uint16_t)n, .parent = -1, .side = 0, .depth = 0 };
    sp = 1;
    int two_leaf = 2 * o->msl;
    while (sp) {
        sp--;
        mb_et_item_t it = o->stack[sp];
        memcpy(cur, o->sstats + (size_t)sp * 3, sizeof(cur));
        int ref, f = 0, t = 0, split = 0;
        if (it.hi - it.lo >= two_leaf && (o->max_depth < 0 || it.depth < o->max_depth) &&
            cur[0] * cur[2] != cur[1] * cur[1]) {
            split = o->rf ? mb_et_rsplit_rf(o, d, it.lo, it.hi, cur, &f, &t, best)
                : mb_et_rsplit_extra(o, d, it.lo, it.hi, cur, &f, &t, best);
        }
        if (!split) {
            ref = mb_et_rleaf(o, cur);
        } else {
            int mid = mb_et_partition(o, d, it.lo, it.hi, f, t);
            ref = o->n_nodes;
            if (ref >= o->max_nodes || ref - base >= o->tree_bound) {
                mp_raise_msg_varg(&mp_type_ValueError,
                    MP_ERROR_TEXT("model would exceed %d nodes: lower max_depth or n_trees"), o->max_nodes);
            }
            if (sp + 2 > o->stack_cap) {
                mp_raise_ValueError(MP_ERROR_TEXT("tree too deep for the stack"));
            }
            o->feature[ref] = (uint8_t)f;
            o->threshold[ref] = (int16_t)t;
            o->left[ref] = 0;
            o->right[ref] = 0;
            o->n_nodes = ref + 1;
            uint64_t *rs = o->sstats + (size_t)sp * 3, *ls = o->sstats + (size_t)(sp + 1) * 3;
            for (int c = 0; c < 3; c++) {
                rs[c] = cur[c] - best[c];
                ls[c] = best[c];
            }
            o->stack[sp] = (mb_et_item_t){ .lo = (uint16_t)mid, .hi = it.hi, .parent = (int16_t)ref,
                                           .side = 1, .depth = (uint16_t)(it.depth + 1) };
            o->stack[sp + 1] = (mb_et_item_t){ .lo = it.lo, .hi = (uint16_t)mid, .parent = (int16_t)ref,
                                               .side = 0, .depth = (uint16_t)(it.depth + 1) };
            sp += 2;
        }
        if (it.parent < 0) {
            root = ref;
        } else if (it.side) {
            o->right[it.parent] = (int16_t)ref;
        } else {
            o->left[it.parent] = (int16_t)ref;
        }
    }
    o->roots[o->trees_done] = (int16_t)mb_et_fold(o, base, root);
    o->trees_done++;
}

static void mb_et_grow(mb_et_obj_t *o, const mb_et_data_t *d) {
    if (o->trees_done >= o->n_trees) {
        mp_raise_ValueError(MP_ERROR_TEXT("all trees are grown (reset() to train again)"));
    }
    int n = (int)d->n_rows, nc = o->n_classes;
    uint16_t *idx = o->idx;
    for (int k = 0; k < n; k++) {
        size_t r = d->rows ? d->rows[k] : (size_t)k;
        idx[k] = (uint16_t)r;
    }
    if (o->bootstrap) {
        for (int k = 0; k < n; k++) {
            uint32_t p = mb_et_randbelow(o, (uint32_t)n);
            idx[k] = d->rows ? d->rows[p] : (uint16_t)p;
        }
    }
    if (o->regress) {
        mb_et_rgrow(o, d, n);
        return;
    }
    int base = o->n_nodes, root = 0, sp = 0;
    uint32_t *counts = o->scounts;
    memset(counts, 0, sizeof(uint32_t) * (size_t)nc);
    for (int k = 0; k < n; k++) {
        counts[d->y[idx[k]]]++;
    }
    o->stack[0] = (mb_et_item_t){ .lo = 0, .hi = (uint16_t)n, .parent = -1, .side = 0, .depth = 0 };
    sp = 1;
    int two_leaf = 2 * o->msl;
    while (sp) {
        sp--;
        mb_et_item_t it = o->stack[sp];
        memcpy(o->counts, o->scounts + (size_t)sp * nc, sizeof(uint32_t) * (size_t)nc);
        counts = o->counts;
        int ref, f = 0, t = 0, split = 0;
        int varied = 0;
        for (int c = 0; c < nc; c++) {
            varied += counts[c] != 0;
        }
        if (it.hi - it.lo >= two_leaf && (o->max_depth < 0 || it.depth < o->max_depth) && varied > 1) {
            split = o->rf ? mb_et_split_rf(o, d, it.lo, it.hi, counts, &f, &t)
                : mb_et_split_extra(o, d, it.lo, it.hi, counts, &f, &t);
        }
        if (!split) {
            ref = mb_et_leaf(counts, nc);
        } else {
            int mid = mb_et_partition(o, d, it.lo, it.hi, f, t);
            ref = o->n_nodes;
            if (ref >= o->max_nodes || ref - base >= o->tree_bound) {
                mp_raise_msg_varg(&mp_type_ValueError,
                    MP_ERROR_TEXT("model would exceed %d nodes: lower max_depth or n_trees"), o->max_nodes);
            }
            if (sp + 2 > o->stack_cap) {
                mp_raise_ValueError(MP_ERROR_TEXT("tree too deep for the stack"));
            }
            o->feature[ref] = (uint8_t)f;
            o->threshold[ref] = (int16_t)t;
            o->left[ref] = 0;
            o->right[ref] = 0;
            o->n_nodes = ref + 1;
            uint32_t *rcs = o->scounts + (size_t)sp * nc, *lcs = o->scounts + (size_t)(sp + 1) * nc;
            for (int c = 0; c < nc; c++) {
                rcs[c] = counts[c] - o->best_lc[c];
                lcs[c] = o->best_lc[c];
            }
            o->stack[sp] = (mb_et_item_t){ .lo = (uint16_t)mid, .hi = it.hi, .parent = (int16_t)ref,
                                           .side = 1, .depth = (uint16_t)(it.depth + 1) };
            o->stack[sp + 1] = (mb_et_item_t){ .lo = it.lo, .hi = (uint16_t)mid, .parent = (int16_t)ref,
                                               .side = 0, .depth = (uint16_t)(it.depth + 1) };
            sp += 2;
        }
        if (it.parent < 0) {
            root = ref;
        } else if (it.side) {
            o->right[it.parent] = (int16_t)ref;
        } else {
            o->left[it.parent] = (int16_t)ref;
        }
    }
    o->roots[o->trees_done] = (int16_t)mb_et_fold(o, base, root);
    o->trees_done++;
}

// grow(X, y[, rows]) -> trees grown so far: one more tree
static mp_obj_t mb_et_grow_fn(size_t n_args, const mp_obj_t *args) {
    mb_et_obj_t *o = mb_et_get(args[0]);
    mb_et_data_t d;
    mb_et_data(o, args[1], args[2], n_args > 3 ? args[3] : mp_const_none, &d);
    mb_et_grow(o, &d);
    return MP_OBJ_NEW_SMALL_INT(o->trees_done);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_et_grow_obj, 3, 4, mb_et_grow_fn);

// train(X, y[, rows]): reset, then every tree
static mp_obj_t mb_et_train(size_t n_args, const mp_obj_t *args) {
    mb_et_obj_t *o = mb_et_get(args[0]);
    mb_et_data_t d;
    mb_et_data(o, args[1], args[2], n_args > 3 ? args[3] : mp_const_none, &d);
    mb_et_reset(o);
    while (o->trees_done < o->n_trees) {
        mb_et_grow(o, &d);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_et_train_obj, 3, 4, mb_et_train);

static mp_obj_t mb_et_reset_fn(mp_obj_t self_in) {
    mb_et_reset(mb_et_get(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_reset_obj, mb_et_reset_fn);

// export(feature: array('B'), threshold, left, right: array('h') of n_nodes, roots: array('h')
// of n_trees): the grown model (children absolute, < 0 = leaf -c-1 = class), as our TreeModel
static mp_obj_t mb_et_export(size_t n_args, const mp_obj_t *args) {
    mb_et_obj_t *o = mb_et_get(args[0]);
    if (o->trees_done != o->n_trees) {
        mp_raise_ValueError(MP_ERROR_TEXT("training has not finished"));
    }
    size_t n = (size_t)o->n_nodes;
    uint8_t *feat = mb_get_uint8_array(args[1], (mp_int_t)n, NULL, true, "feature");
    mp_buffer_info_t info[4];
    const char *what[4] = { "threshold", "left", "right", "roots" };
    for (int k = 0; k < 4; k++) {
        mp_get_buffer_raise(args[2 + k], &info[k], MP_BUFFER_RW);
        size_t want = k == 3 ? (size_t)o->n_trees : n;
        if (info[k].typecode != 'h' || info[k].len != want * sizeof(int16_t)) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s: expecting array('h') of %d"),
                what[k], (int)want);
        }
    }
    memcpy(feat, o->feature, n);
    memcpy(info[0].buf, o->threshold, n * sizeof(int16_t));
    memcpy(info[1].buf, o->left, n * sizeof(int16_t));
    memcpy(info[2].buf, o->right, n * sizeof(int16_t));
    memcpy(info[3].buf, o->roots, (size_t)o->n_trees * sizeof(int16_t));
    return MP_OBJ_NEW_SMALL_INT(n);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_et_export_obj, 6, 6, mb_et_export);

// ---- prediction (hard votes of the grown trees, as eml_trees leaf_bits 0) --------------------
static int mb_et_votes(mb_et_obj_t *o, mp_obj_t x_in, uint32_t *votes) {
    if (o->regress) {
        mp_raise_ValueError(MP_ERROR_TEXT("a regression model: export() and leaves() it"));
    }
    if (o->trees_done < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("no trees (call train first)"));
    }
    const int16_t *x = mb_get_int16_array(x_in, o->n_features, NULL, "features");
    memset(votes, 0, sizeof(uint32_t) * (size_t)o->n_classes);
    for (int t = 0; t < o->trees_done; t++) {
        int i = o->roots[t];
        while (i >= 0) {
            i = x[o->feature[i]] < o->threshold[i] ? o->left[i] : o->right[i];
        }
        votes[-i - 1]++;
    }
    int best = 0;
    for (int c = 1; c < o->n_classes; c++) {
        if (votes[c] > votes[best]) {
            best = c;
        }
    }
    return best;
}

static mp_obj_t mb_et_predict(mp_obj_t self_in, mp_obj_t x_in) {
    mb_et_obj_t *o = mb_et_get(self_in);
    return MP_OBJ_NEW_SMALL_INT(mb_et_votes(o, x_in, o->lc));
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_et_predict_obj, mb_et_predict);

static mp_obj_t mb_et_predict_proba(mp_obj_t self_in, mp_obj_t x_in, mp_obj_t out_in) {
    mb_et_obj_t *o = mb_et_get(self_in);
    float *out = mb_get_float_array(out_in, o->n_classes, NULL, "probabilities");
    int best = mb_et_votes(o, x_in, o->lc);
    for (int c = 0; c < o->n_classes; c++) {
        out[c] = (float)o->lc[c] / (float)o->trees_done;
    }
    return MP_OBJ_NEW_SMALL_INT(best);
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_et_predict_proba_obj, mb_et_predict_proba);

// leaves() -> list of the regression leaves' values (leaf k = -k-1 in the nodes)
static mp_obj_t mb_et_leaves(mp_obj_t self_in) {
    mb_et_obj_t *o = mb_et_get(self_in);
    if (!o->regress) {
        mp_raise_ValueError(MP_ERROR_TEXT("leaves() is for regression (leaf k is class k)"));
    }
    mp_obj_t l = mp_obj_new_list(0, NULL);
    for (int k = 0; k < o->n_leaves; k++) {
        mp_obj_list_append(l, mp_obj_new_float(o->leafv[k]));
    }
    return l;
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_leaves_obj, mb_et_leaves);

static mp_obj_t mb_et_n_features(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(mb_et_get(self_in)->n_features);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_n_features_obj, mb_et_n_features);
static mp_obj_t mb_et_n_classes(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(mb_et_get(self_in)->n_classes);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_n_classes_obj, mb_et_n_classes);
static mp_obj_t mb_et_n_trees(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(mb_et_get(self_in)->trees_done);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_n_trees_obj, mb_et_n_trees);
static mp_obj_t mb_et_n_nodes(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(mb_et_get(self_in)->n_nodes);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_et_n_nodes_obj, mb_et_n_nodes);

static const mp_rom_map_elem_t mb_et_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_train), MP_ROM_PTR(&mb_et_train_obj) },
    { MP_ROM_QSTR(MP_QSTR_grow), MP_ROM_PTR(&mb_et_grow_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&mb_et_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_export), MP_ROM_PTR(&mb_et_export_obj) },
    { MP_ROM_QSTR(MP_QSTR_leaves), MP_ROM_PTR(&mb_et_leaves_obj) },
    { MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&mb_et_predict_obj) },
    { MP_ROM_QSTR(MP_QSTR_predict_proba), MP_ROM_PTR(&mb_et_predict_proba_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_n_features), MP_ROM_PTR(&mb_et_n_features_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_n_classes), MP_ROM_PTR(&mb_et_n_classes_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_n_trees), MP_ROM_PTR(&mb_et_n_trees_obj) },
    { MP_ROM_QSTR(MP_QSTR_get_n_nodes_used), MP_ROM_PTR(&mb_et_n_nodes_obj) },
};
static MP_DEFINE_CONST_DICT(mb_et_locals, mb_et_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_et_type,
    MP_QSTR_extratrees,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_et_locals
    );

static const mp_rom_map_elem_t mb_et_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_extratrees) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_et_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_et_globals, mb_et_globals_table);

const mp_obj_module_t mb_et_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_et_globals,
};

MP_REGISTER_MODULE(MP_QSTR_emlearn_extratrees, mb_et_module);
