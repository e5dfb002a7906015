// motebook: _mb_inspect.argcount(f), the number of positional + keyword-only parameters of a
// Python function, read from its bytecode prelude. Our frozen inspect.signature() uses it;
// PyScript's pyscript.events needs to know whether a handler takes the event argument.
// Allocates nothing. Raises TypeError for callables it cannot read (builtins, native code).
#include "py/runtime.h"
#include "py/bc.h"
#include "py/objfun.h"

// Same layouts as py/objclosure.c and py/objboundmeth.c (private there), MicroPython 1.25.
typedef struct _mb_closure_t {
    mp_obj_base_t base;
    mp_obj_t fun;
    size_t n_closed;
    mp_obj_t closed[];
} mb_closure_t;

typedef struct _mb_bound_meth_t {
    mp_obj_base_t base;
    mp_obj_t meth;
    mp_obj_t self;
} mb_bound_meth_t;

extern const mp_obj_type_t mp_type_closure;
extern const mp_obj_type_t mp_type_bound_meth;

static mp_obj_t mb_argcount(mp_obj_t f) {
    mp_int_t adjust = 0;
    for (int depth = 0; depth < 4; depth++) {
        const mp_obj_type_t *t = mp_obj_get_type(f);
        if (t == &mp_type_bound_meth) {
            f = ((mb_bound_meth_t *)MP_OBJ_TO_PTR(f))->meth;
            adjust -= 1;
        } else if (t == &mp_type_closure) {
            mb_closure_t *c = MP_OBJ_TO_PTR(f);
            adjust -= (mp_int_t)c->n_closed;
            f = c->fun;
        } else if (t == &mp_type_fun_bc || t == &mp_type_gen_wrap) {
            const mp_obj_fun_bc_t *fun = MP_OBJ_TO_PTR(f);
            const byte *ip = fun->bytecode;
            MP_BC_PRELUDE_SIG_DECODE(ip);
            mp_int_t n = (mp_int_t)(n_pos_args + n_kwonly_args) + adjust;
            if (scope_flags & MP_SCOPE_FLAG_VARARGS) {
                n += 1;
            }
            if (scope_flags & MP_SCOPE_FLAG_VARKEYWORDS) {
                n += 1;
            }
            return MP_OBJ_NEW_SMALL_INT(n < 0 ? 0 : n);
        } else {
            break;
        }
    }
    mp_raise_TypeError(MP_ERROR_TEXT("argcount: unsupported callable"));
}
static MP_DEFINE_CONST_FUN_OBJ_1(mb_argcount_obj, mb_argcount);

static const mp_rom_map_elem_t mb_inspect_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__mb_inspect) },
    { MP_ROM_QSTR(MP_QSTR_argcount), MP_ROM_PTR(&mb_argcount_obj) },
};
static MP_DEFINE_CONST_DICT(mb_inspect_globals, mb_inspect_globals_table);

const mp_obj_module_t mb_inspect_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&mb_inspect_globals,
};

MP_REGISTER_MODULE(MP_QSTR__mb_inspect, mb_inspect_module);
