/* Graph nodes and the recording of differentiable ops (ct_autograd.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"

static _Thread_local bool grad_disabled;   /* thread-local; zero-initialized means enabled */
static int64_t next_seq;

bool ct_grad_enabled(void) { return !grad_disabled; }
void ct_set_grad_enabled(bool on) { grad_disabled = !on; }

bool ct_requires_grad(const ct_tensor *t) { return t->requires_grad || t->grad_fn != NULL; }

void ct_node_incref(ct_node *n) { __atomic_add_fetch(&n->refcount, 1, __ATOMIC_RELAXED); }

static void release_saved(ct_node *n) {
    for (int i = 0; i < n->nsaved; i++) {
        ct_xdecref(n->saved[i]);
        n->saved[i] = NULL;
    }
}

/* Freeing a node may free the nodes it leads to, and so on down a chain as
 * long as the graph: done with a worklist, not recursion (deep graphs). The
 * worklist threads through the dying nodes' own edge slots. */
void ct_node_decref(ct_node *n) {
    if (__atomic_sub_fetch(&n->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    ct_node *dying = n, *list = NULL;
    while (dying) {
        release_saved(dying);
        for (int i = 0; i < dying->nnext; i++) {
            ct_node *m = dying->next[i].node;
            if (m && __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
                m->seq = (int64_t)(intptr_t)list;   /* the worklist link (the node is dead) */
                list = m;
            }
        }
        ct_xdecref(dying->leaf);
        ct_hooks_free(&dying->hooks);
        free(dying->geometry);
        if (dying->custom_release) dying->custom_release(dying->custom_ctx);
        free(dying);
        dying = list;
        if (list) list = (ct_node *)(intptr_t)list->seq;
    }
}

static ct_node *node_new(int kind, const char *name) {
    ct_node *n = calloc(1, sizeof *n);
    if (!n) return ct_error_null(CT_ERR_NOMEM, "autograd: can't allocate a graph node");
    n->refcount = 1;
    n->kind = kind;
    n->name = name;
    n->seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
    return n;
}

/* the edge gradients of t flow along: its grad_fn, or an AccumulateGrad of the leaf */
static int edge_of(ct_tensor *t, ct_edge *e) {
    e->node = NULL;
    e->input_nr = 0;
    if (!ct_requires_grad(t)) return 0;
    if (t->grad_fn) {
        ct_node_incref(t->grad_fn);
        e->node = t->grad_fn;
        return 0;
    }
    ct_node *acc = node_new(CT_NODE_ACCUMULATE, "AccumulateGrad");
    if (!acc) return -1;
    acc->leaf = ct_incref(t);
    e->node = acc;
    return 0;
}

bool ct_record_needed(int nin, ct_tensor *const *inputs) {
    if (grad_disabled) return false;
    for (int i = 0; i < nin; i++)
        if (inputs[i] && ct_requires_grad(inputs[i])) return true;
    return false;
}

ct_node *ct_record_begin(int kind, const char *name, int nin, ct_tensor *const *inputs) {
    ct_node *n = node_new(kind, name);
    if (!n) return NULL;
    n->nnext = nin;
    for (int i = 0; i < nin; i++) {
        if (!inputs[i]) continue;
        n->in_shape[i].ndim = inputs[i]->ndim;
        n->in_shape[i].dtype = inputs[i]->dtype;
        memcpy(n->in_shape[i].sizes, inputs[i]->sizes, sizeof(int64_t) * (size_t)inputs[i]->ndim);
        if (edge_of(inputs[i], &n->next[i]) < 0) {
            ct_node_decref(n);
            return NULL;
        }
    }
    return n;
}

int ct_record_save(ct_node *n, ct_tensor *t, bool is_output) {
    if (n->nsaved >= CT_NODE_MAX_SAVED) return ct_error(CT_ERR_RUNTIME, "autograd: too many saved tensors");
    int k = n->nsaved++;
    n->saved[k] = NULL;   /* t NULL: a slot the formula will not read */
    if (!t) return 0;
    ct_tensor *a = is_output ? ct_alias(t) : ct_incref(t);   /* an output's alias has no history: no cycle */
    if (!a) return -1;
    n->saved[k] = a;
    n->saved_is_output[k] = is_output;
    n->saved_version[k] = t->storage->version;
    n->saved_owner[k] = t->grad_fn ? t->grad_fn->name : NULL;
    return 0;
}

void ct_record_finish(ct_node *n, ct_tensor *result) {
    if (result->grad_fn) ct_node_decref(result->grad_fn);   /* an in-place op: new history */
    result->grad_fn = n;
}

int ct_record_op(int kind, const char *name, int nin, ct_tensor *const *inputs, ct_tensor *result, int nsave,
                 ct_tensor *const *save, const ct_scalar *scalars, int nscalars, const int64_t *ints, int nints) {
    if (!ct_record_needed(nin, inputs)) return 0;
    ct_node *n = ct_record_begin(kind, name, nin, inputs);
    if (!n) return -1;
    for (int i = 0; i < nsave; i++)
        if (ct_record_save(n, save[i], save[i] == result) < 0) {
            ct_node_decref(n);
            return -1;
        }
    for (int i = 0; i < nscalars && i < 2; i++) n->scalars[i] = scalars[i];
    for (int i = 0; i < nints && i < CT_MAX_DIMS + 2; i++) n->ints[i] = ints[i];
    n->nints = nints;
    ct_record_finish(n, result);
    return 0;
}

int ct_inplace_check(ct_tensor *t) {
    if (grad_disabled) return 0;
    if (t->requires_grad && !t->grad_fn)
        return ct_error(CT_ERR_RUNTIME, "a leaf Variable that requires grad is being used in an in-place operation.");
    if (t->view_base && t->view_base->requires_grad && !t->view_base->grad_fn)
        return ct_error(CT_ERR_RUNTIME, "a view of a leaf Variable that requires grad is being used in an in-place "
                        "operation.");
    return 0;
}

int ct_inplace_rebase(ct_tensor *t) {
    ct_tensor *base = t->view_base;
    if (grad_disabled || !base || !ct_is_non_overlapping_and_dense(base)) return 0;
    if (!ct_requires_grad(base) && !ct_requires_grad(t)) return 0;
    ct_view_geometry *geo = malloc(sizeof *geo), *geo2 = malloc(sizeof *geo2);
    ct_node *cs = node_new(CT_NODE_COPYSLICES, "CopySlices"), *vo = node_new(CT_NODE_VIEW_OF, "AsStridedBackward0");
    if (!geo || !geo2 || !cs || !vo) {
        free(geo);
        free(geo2);
        if (cs) ct_node_decref(cs);
        if (vo) ct_node_decref(vo);
        return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
    }
    geo->ndim = t->ndim;
    geo->base_ndim = base->ndim;
    memcpy(geo->sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(geo->strides, t->strides, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(geo->base_strides, base->strides, sizeof(int64_t) * (size_t)base->ndim);
    geo->offset = t->offset - base->offset;
    *geo2 = *geo;
    /* base <- CopySlices: its old history (outside the view) and t's new node (inside) */
    cs->nnext = 2;
    cs->in_shape[0].ndim = base->ndim;
    cs->in_shape[0].dtype = base->dtype;
    memcpy(cs->in_shape[0].sizes, base->sizes, sizeof(int64_t) * (size_t)base->ndim);
    cs->in_shape[1].ndim = t->ndim;
    cs->in_shape[1].dtype = t->dtype;
    memcpy(cs->in_shape[1].sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim);
    cs->geometry = geo;
    if (edge_of(base, &cs->next[0]) < 0) {
        free(geo2);
        ct_node_decref(cs);
        ct_node_decref(vo);
        return -1;
    }
    if (t->grad_fn) {
        ct_node_incref(t->grad_fn);
        cs->next[1].node = t->grad_fn;
    }
    ct_record_finish(cs, base);
    /* t <- read back from the rewritten base */
    vo->nnext = 1;
    vo->in_shape[0] = cs->in_shape[0];
    vo->geometry = geo2;
    ct_node_incref(cs);
    vo->next[0].node = cs;
    ct_record_finish(vo, t);
    return 0;
}

/* "AddBackward0" from "add", "ClampMinBackward0" from "clamp_min" */
const char *ct_op_backward_name(int op) {
    static char names[CT_NUM_OPS][48];
    static int ready;
    if (!ready) {
        for (int k = 0; k < CT_NUM_OPS; k++) {
            const char *src = ct_op_name(k);
            if (!strcmp(src, "lerp_scalar")) src = "lerp";
            char *d = names[k];
            bool up = true;
            for (; *src && d < names[k] + 36; src++) {
                if (*src == '_') {
                    up = true;
                    continue;
                }
                *d++ = up ? (char)toupper((unsigned char)*src) : *src;
                up = false;
            }
            snprintf(d, 12, "Backward%d", k == CT_OP_lerp ? 1 : 0);
        }
        /* where PyTorch's names differ from the op's */
        snprintf(names[CT_OP_log1p], 48, "Log1PBackward0");
        snprintf(names[CT_OP_square], 48, "PowBackward0");
        snprintf(names[CT_OP_round_decimals], 48, "RoundBackward1");
        snprintf(names[CT_OP_clamp], 48, "ClampBackward1");
        snprintf(names[CT_OP_clamp_min], 48, "ClampBackward1");
        snprintf(names[CT_OP_clamp_max], 48, "ClampBackward1");
        snprintf(names[CT_OP_div_trunc], 48, "DivBackward2");
        snprintf(names[CT_OP_floor_divide], 48, "DivBackward3");
        ready = 1;
    }
    return op >= 0 && op < CT_NUM_OPS ? names[op] : "UnknownBackward0";
}

int64_t ct_hook_add(ct_hook **list, ct_tensor *(*fn)(void *, ct_tensor *), void *ctx, void (*release)(void *)) {
    static int64_t next_id = 1;
    ct_hook *h = malloc(sizeof *h);
    if (!h) return ct_error(CT_ERR_NOMEM, "can't allocate a hook");
    *h = (ct_hook){fn, ctx, release, __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED), NULL};
    while (*list) list = &(*list)->next;   /* hooks run in the order they were added */
    *list = h;
    return h->id;
}

void ct_hook_remove(ct_hook **list, int64_t id) {
    for (; *list; list = &(*list)->next) {
        if ((*list)->id != id) continue;
        ct_hook *h = *list;
        *list = h->next;
        if (h->release) h->release(h->ctx);
        free(h);
        return;
    }
}

ct_tensor *ct_hooks_run(ct_hook *list, ct_tensor *grad) {
    ct_tensor *g = ct_incref(grad);
    for (ct_hook *h = list; h && g; h = h->next) {
        ct_tensor *next = h->fn(h->ctx, g);
        ct_decref(g);
        g = next;
    }
    return g;
}

void ct_hooks_free(ct_hook **list) {
    while (*list) {
        ct_hook *h = *list;
        *list = h->next;
        if (h->release) h->release(h->ctx);
        free(h);
    }
}
