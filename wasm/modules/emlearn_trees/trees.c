// motebook: emlearn_trees_c, tree ensembles on top of emlearn's eml_trees.h, with the Python
// API of emlearn-micropython (new/setdata/addroot/addnode/addleaf/outputs/predict).
// Classifiers: leaf_bits 0 (a class per leaf) or 8 (class proportions), eml_trees_predict_proba.
// Regression: leaf_bits 32 (one float32 value per leaf, as emlearn's converter writes a
// regressor: "c,0", "lb,32", "l,<value>"); predict(x, out) fills out[0] with eml_trees_regress,
// the mean of the trees' leaf values; outputs() is 1.
// Memory: one model object plus three arrays sized at new() (max_leaves bytes, or 4 bytes a
// leaf when new() is told leaf_bits 32; setdata(..., 32) on a byte-sized table that has no
// leaves yet grows it once); nothing allocated by predict().
// The model is checked once (after the last change, before the first predict) so a bad model
// raises ValueError instead of reading out of bounds.
#include <string.h>
#include "py/runtime.h"
#include "mb_emlearn.h"

#define EML_TREES_REGRESSION_ENABLE 1
MB_EML_INCLUDE_BEGIN
#include <eml_trees.h>
MB_EML_INCLUDE_END

#define MB_TREES_MAX_NODES (32767)
#define MB_TREES_MAX_TREES (32767)
#define MB_TREES_MAX_LEAVES (32768 * 127)

typedef struct _mb_trees_obj_t {
    mp_obj_base_t base;
    EmlTrees trees;
    mp_int_t max_trees;
    mp_int_t max_nodes;
    mp_int_t max_leaves;
    mp_int_t leaf_size; // bytes per addleaf() the leaf table has room for: 1, or 4 (float32)
    bool checked; // model validated since the last change
} mb_trees_obj_t;

static const mp_obj_type_t mb_trees_type;

static mb_trees_obj_t *mb_trees_get(mp_obj_t self_in) {
    if (!mp_obj_is_type(self_in, &mb_trees_type)) {
        mp_raise_TypeError(MP_ERROR_TEXT("expecting an emlearn_trees model"));
    }
    return MP_OBJ_TO_PTR(self_in);
}

// new(max_trees, max_nodes, max_leaves[, leaf_bits]): leaf_bits 32 sizes the leaf table for
// max_leaves float32 values at once (else it holds max_leaves bytes until setdata asks for 32)
static mp_obj_t mb_trees_new(size_t n_args, const mp_obj_t *args) {
    mp_int_t max_trees = mb_get_int_range(args[0], 1, MB_TREES_MAX_TREES, "max_trees");
    mp_int_t max_nodes = mb_get_int_range(args[1], 1, MB_TREES_MAX_NODES, "max_nodes");
    mp_int_t max_leaves = mb_get_int_range(args[2], 1, MB_TREES_MAX_LEAVES, "max_leaves");
    mp_int_t leaf_size = 1;
    if (n_args > 3) {
        mp_int_t leaf_bits = mp_obj_get_int(args[3]);
        if (leaf_bits != 0 && leaf_bits != 8 && leaf_bits != 32) {
            mp_raise_ValueError(MP_ERROR_TEXT("leaf_bits must be 0, 8 or 32"));
        }
        leaf_size = leaf_bits == 32 ? 4 : 1;
    }
    mb_trees_obj_t *o = mp_obj_malloc(mb_trees_obj_t, &mb_trees_type);
    memset(&o->trees, 0, sizeof(o->trees));
    o->max_trees = max_trees;
    o->max_nodes = max_nodes;
    o->max_leaves = max_leaves;
    o->leaf_size = leaf_size;
    o->checked = false;
    o->trees.nodes = m_new(EmlTreesNode, max_nodes);
    o->trees.tree_roots = m_new(int32_t, max_trees);
    o->trees.leaves = m_new(uint8_t, max_leaves * leaf_size);
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_trees_new_obj, 3, 4, mb_trees_new);

// setdata(n_features, n_classes[, leaf_bits]): leaf_bits 0 = majority vote, 8 = proportions,
// 32 = regression (n_classes 0, as emlearn writes a regressor, or 1: one output)
static mp_obj_t mb_trees_setdata(size_t n_args, const mp_obj_t *args) {
    mb_trees_obj_t *o = mb_trees_get(args[0]);
    mp_int_t n_features = mb_get_int_range(args[1], 1, 127, "n_features");
    mp_int_t leaf_bits = 0;
    if (n_args > 3) {
        leaf_bits = mp_obj_get_int(args[3]);
        if (leaf_bits != 0 && leaf_bits != 8 && leaf_bits != 32) {
            mp_raise_ValueError(MP_ERROR_TEXT("leaf_bits must be 0, 8 or 32"));
        }
    }
    mp_int_t n_classes;
    if (leaf_bits == 32) {
        n_classes = mb_get_int_range(args[2], 0, 1, "n_classes of a regression model (leaf_bits 32)");
        n_classes = 1;
    } else {
        n_classes = mb_get_int_range(args[2], 1, 127, "n_classes");
    }
    // leaves already added were stored for the other kind: refuse to reinterpret them
    if (o->trees.n_leaves > 0 && (leaf_bits == 32) != (o->trees.leaf_bits == 32)) {
        mp_raise_ValueError(MP_ERROR_TEXT("leaf_bits cannot change between 32 and 0/8 after leaves were added"));
    }
    if (leaf_bits == 32 && o->leaf_size == 1) {
        o->trees.leaves = m_renew(uint8_t, o->trees.leaves, o->max_leaves, o->max_leaves * 4);
        o->leaf_size = 4;
    }
    o->trees.n_features = (int8_t)n_features;
    o->trees.n_classes = (int8_t)n_classes;
    o->trees.leaf_bits = (int8_t)leaf_bits;
    o->checked = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_trees_setdata_obj, 3, 4, mb_trees_setdata);

// addroot(root): index of the first node of a tree
static mp_obj_t mb_trees_addroot(mp_obj_t self_in, mp_obj_t root_in) {
    mb_trees_obj_t *o = mb_trees_get(self_in);
    mp_int_t root = mb_get_int_range(root_in, -32768, MB_TREES_MAX_NODES, "root");
    if (o->trees.n_trees >= o->max_trees) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many trees (max_trees reached)"));
    }
    o->trees.tree_roots[o->trees.n_trees++] = (int32_t)root;
    o->checked = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_trees_addroot_obj, mb_trees_addroot);

// addnode(left, right, feature, threshold): children >= 0 are relative jumps, < 0 leaves
static mp_obj_t mb_trees_addnode(size_t n_args, const mp_obj_t *args) {
    mb_trees_obj_t *o = mb_trees_get(args[0]);
    mp_int_t left = mb_get_int_range(args[1], -32768, 32767, "left");
    mp_int_t right = mb_get_int_range(args[2], -32768, 32767, "right");
    mp_int_t feature = mb_get_int_range(args[3], 0, 126, "feature");
    mp_int_t value = mb_get_int_range(args[4], -32768, 32767, "threshold");
    if (o->trees.n_nodes >= o->max_nodes) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many nodes (max_nodes reached)"));
    }
    EmlTreesNode *n = &o->trees.nodes[o->trees.n_nodes++];
    n->feature = (int8_t)feature;
    n->value = (int16_t)value;
    n->left = (int16_t)left;
    n->right = (int16_t)right;
    o->checked = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(mb_trees_addnode_obj, 5, 5, mb_trees_addnode);

// addleaf(value): a class index (leaf_bits 0), one class proportion 0-255 (leaf_bits 8), or
// a finite value stored as float32 (leaf_bits 32, set by setdata before the leaves)
static mp_obj_t mb_trees_addleaf(mp_obj_t self_in, mp_obj_t leaf_in) {
    mb_trees_obj_t *o = mb_trees_get(self_in);
    if (o->trees.leaf_bits == 32) {
        float v = mb_get_finite_float(leaf_in, "leaf value");
        if (o->trees.n_leaves >= o->max_leaves) {
            mp_raise_ValueError(MP_ERROR_TEXT("too many leaves (max_leaves reached)"));
        }
        memcpy(o->trees.leaves + 4 * o->trees.n_leaves, &v, 4);
        o->trees.n_leaves++;
        o->checked = false;
        return mp_const_none;
    }
    mp_int_t leaf = mb_get_int_range(leaf_in, 0, 255, "leaf");
    if (o->trees.n_leaves >= o->max_leaves) {
        mp_raise_ValueError(MP_ERROR_TEXT("too many leaves (max_leaves reached)"));
    }
    o->trees.leaves[o->trees.n_leaves++] = (uint8_t)leaf;
    o->checked = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(mb_trees_addleaf_obj, mb_trees_addleaf);

static mp_obj_t mb_trees_outputs(mp_obj_t self_in) {
    mb_trees_obj_t *o = mb_trees_get(self_in);
    if (o->trees.n_classes == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("model not loaded (setdata not called)"));
    }
    return MP_OBJ_NEW_SMALL_INT(o->trees.n_classes);
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_trees_outputs_obj, mb_trees_outputs);

static void mb_trees_check_leaf(const EmlTrees *t, int32_t encoded) {
    int32_t leaf = -encoded - 1;
    if (t->leaf_bits == 32) {
        if (leaf >= t->n_leaves) {  // n_leaves counts float32 values here
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: leaf %d out of range"), (int)leaf);
        }
    } else if (t->leaf_bits == 0) {
        if (leaf >= t->n_leaves) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: leaf %d out of range"), (int)leaf);
        }
        if (t->leaves[leaf] >= t->n_classes) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: leaf %d has class %d >= n_classes"),
                (int)leaf, (int)t->leaves[leaf]);
        }
    } else {
        if (((int64_t)leaf + 1) * t->n_classes > t->n_leaves) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: leaf %d out of range"), (int)leaf);
        }
    }
}

// Every path must end in a leaf inside the tables: children jump forward (> 0) so there are
// no cycles, features index the input, and leaves index the leaf table.
static void mb_trees_check(mb_trees_obj_t *o) {
    const EmlTrees *t = &o->trees;
    if (t->n_classes == 0 || t->n_features == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("model not loaded (setdata not called)"));
    }
    if (t->n_trees == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("invalid model: no trees (addroot not called)"));
    }
    for (int32_t i = 0; i < t->n_trees; i++) {
        int32_t r = t->tree_roots[i];
        if (r >= t->n_nodes) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: root %d out of range"), (int)r);
        }
        if (r < 0) {
            mb_trees_check_leaf(t, r);
        }
    }
    for (int32_t i = 0; i < t->n_nodes; i++) {
        const EmlTreesNode *n = &t->nodes[i];
        if (n->feature < 0 || n->feature >= t->n_features) {
            mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: node %d uses feature %d"),
                (int)i, (int)n->feature);
        }
        const int16_t children[2] = { n->left, n->right };
        for (int c = 0; c < 2; c++) {
            int32_t child = children[c];
            if (child >= 0) {
                if (child == 0 || i + child >= t->n_nodes) {
                    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("invalid model: node %d jumps to %d"),
                        (int)i, (int)(i + child));
                }
            } else {
                mb_trees_check_leaf(t, child);
            }
        }
    }
    o->checked = true;
}

// predict(features: array('h') of n_features, out: array('f') of outputs()): class
// proportions, or (leaf_bits 32) the regression estimate in out[0]
static mp_obj_t mb_trees_predict(mp_obj_t self_in, mp_obj_t features_in, mp_obj_t out_in) {
    mb_trees_obj_t *o = mb_trees_get(self_in);
    if (!o->checked) {
        mb_trees_check(o);
    }
    const int16_t *features = mb_get_int16_array(features_in, o->trees.n_features, NULL, "features");
    float *out = mb_get_float_array(out_in, o->trees.n_classes, NULL, "out");
    EmlError err;
    if (o->trees.leaf_bits == 32) {
        err = eml_trees_regress(&o->trees, features, o->trees.n_features, out, 1);
    } else {
        err = eml_trees_predict_proba(&o->trees, features, o->trees.n_features, out, o->trees.n_classes);
    }
    if (err != EmlOk) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("eml_trees predict failed: %d"), (int)err);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(mb_trees_predict_obj, mb_trees_predict);

static const mp_rom_map_elem_t mb_trees_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&mb_trees_predict_obj) },
    { MP_ROM_QSTR(MP_QSTR_addnode), MP_ROM_PTR(&mb_trees_addnode_obj) },
    { MP_ROM_QSTR(MP_QSTR_addroot), MP_ROM_PTR(&mb_trees_addroot_obj) },
    { MP_ROM_QSTR(MP_QSTR_addleaf), MP_ROM_PTR(&mb_trees_addleaf_obj) },
    { MP_ROM_QSTR(MP_QSTR_setdata), MP_ROM_PTR(&mb_trees_setdata_obj) },
    { MP_ROM_QSTR(MP_QSTR_outputs), MP_ROM_PTR(&mb_trees_outputs_obj) },
};
static MP_DEFINE_CONST_DICT(mb_trees_locals, mb_trees_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    mb_trees_type,
    MP_QSTR_emltrees,
    MP_TYPE_FLAG_NONE,
    locals_dict, &mb_trees_locals
    );

static const mp_rom_map_elem_t mb_trees_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_emlearn_trees_c) },
    { MP_ROM_QSTR(MP_QSTR_new), MP_ROM_PTR(&mb_trees_new_obj) },
};
static MP_DEFINE_CONST_DICT(mb_trees_globals, mb_trees_globals_table);

const mp_obj_module_t mb_trees_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_trees_globals,
};

// The frozen emlearn_trees.py re-exports this and adds load_model(), as upstream does.
MP_REGISTER_MODULE(MP_QSTR_emlearn_trees_c, mb_trees_module);
