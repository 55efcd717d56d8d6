/* The backward engine: dependency counting over the graph, gradients summed
 * per node, nodes run latest-first (by sequence number) once every gradient
 * reaching them has arrived. Single-threaded. */
#include <stdlib.h>
#include <string.h>

#include "ctorch/ct_autograd.h"

typedef struct {
    ct_node *node;
    int deps;          /* edges still to deliver a gradient here */
    ct_tensor *grad;   /* sum of the gradients delivered so far */
    int capture;       /* autograd.grad: index of the input this AccumulateGrad stands for, or -1 */
} slot;

/* the nodes of one backward: slots, and an open-addressing index node -> slot */
typedef struct {
    slot *slots;
    int n, cap;
    int *index;      /* hcap entries: slot number + 1, 0 when free */
    int hcap;        /* a power of two, at least twice n */
} graph;

static size_t hash_of(const ct_node *n) { return ((size_t)n >> 4) * 0x9E3779B97F4A7C15ull; }

static int find(const graph *g, const ct_node *n) {
    if (!g->hcap) return -1;
    for (size_t h = hash_of(n) & (size_t)(g->hcap - 1);; h = (h + 1) & (size_t)(g->hcap - 1)) {
        int s = g->index[h] - 1;
        if (s < 0) return -1;
        if (g->slots[s].node == n) return s;
    }
}

/* add a slot for n (not present yet); returns its number or -1 */
static int add(graph *g, ct_node *n) {
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        slot *s = realloc(g->slots, sizeof(slot) * (size_t)cap);
        if (!s) return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
        g->slots = s;
        g->cap = cap;
    }
    if (2 * (g->n + 1) > g->hcap) {   /* grow the index and put every slot back */
        int hcap = g->hcap ? g->hcap * 2 : 128;
        int *index = calloc((size_t)hcap, sizeof(int));
        if (!index) return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
        free(g->index);
        g->index = index;
        g->hcap = hcap;
        for (int i = 0; i < g->n; i++) {
            size_t h = hash_of(g->slots[i].node) & (size_t)(hcap - 1);
            while (index[h]) h = (h + 1) & (size_t)(hcap - 1);
            index[h] = i + 1;
        }
    }
    size_t h = hash_of(n) & (size_t)(g->hcap - 1);
    while (g->index[h]) h = (h + 1) & (size_t)(g->hcap - 1);
    g->slots[g->n] = (slot){n, 0, NULL, -1};
    g->index[h] = g->n + 1;
    return g->n++;
}

/* every node reachable from n, with the number of edges into each */
static int collect(graph *g, ct_node *root) {
    ct_node **stack = malloc(sizeof(ct_node *) * 64);
    int sp = 0, scap = 64;
    if (!stack) return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
    stack[sp++] = root;
    if (find(g, root) < 0 && add(g, root) < 0) {
        free(stack);
        return -1;
    }
    while (sp > 0) {
        ct_node *n = stack[--sp];
        for (int i = 0; i < n->nnext; i++) {
            ct_node *m = n->next[i].node;
            if (!m) continue;
            int k = find(g, m);
            if (k < 0) {
                if ((k = add(g, m)) < 0) {
                    free(stack);
                    return -1;
                }
                if (sp == scap) {
                    ct_node **bigger = realloc(stack, sizeof(ct_node *) * (size_t)scap * 2);
                    if (!bigger) {
                        free(stack);
                        return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
                    }
                    stack = bigger;
                    scap *= 2;
                }
                stack[sp++] = m;
            }
            g->slots[k].deps++;
        }
    }
    free(stack);
    return 0;
}

bool ct_detect_anomaly;

/* anomaly mode: the error PyTorch gives when a node's backward makes NaN */
static int check_nan(const ct_node *n, ct_tensor *const *grads) {
    for (int i = 0; i < n->nnext; i++) {
        if (!grads[i] || !ct_is_floating(grads[i]->dtype)) continue;
        ct_tensor *isnan = ct_unary(CT_OP_isnan, grads[i], NULL, NULL);
        ct_tensor *any = isnan ? ct_reduce(CT_RED_ANY, isnan, 0, NULL, false, CT_UNDEFINED) : NULL;
        bool bad = any && *(bool *)ct_data(any);
        ct_xdecref(isnan);
        ct_xdecref(any);
        if (!any) return -1;
        if (bad) return ct_error(CT_ERR_RUNTIME, "Function '%s' returned nan values in its %dth output.", n->name, i);
    }
    return 0;
}

/* the ready nodes: a max-heap of slot numbers by sequence number (the latest node first) */
typedef struct {
    int *items;
    int n, cap;
} ready_heap;

static int64_t seq_of(const graph *g, int s) { return g->slots[s].node->seq; }

static int heap_push(ready_heap *h, const graph *g, int s) {
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 64;
        int *items = realloc(h->items, sizeof(int) * (size_t)cap);
        if (!items) return ct_error(CT_ERR_NOMEM, "autograd: out of memory");
        h->items = items;
        h->cap = cap;
    }
    int i = h->n++;
    while (i > 0 && seq_of(g, h->items[(i - 1) / 2]) < seq_of(g, s)) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = s;
    return 0;
}

static int heap_pop(ready_heap *h, const graph *g) {
    int top = h->items[0], last = h->items[--h->n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && seq_of(g, h->items[c + 1]) > seq_of(g, h->items[c])) c++;
        if (seq_of(g, h->items[c]) <= seq_of(g, last)) break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->n > 0) h->items[i] = last;
    return top;
}

/* sum g into a slot (the first gradient is kept as it is) */
static int deliver(slot *s, ct_tensor *g) {
    if (!s->grad) {
        s->grad = ct_incref(g);
        return 0;
    }
    ct_tensor *sum = ct_binary(CT_OP_add, s->grad, g, NULL, NULL);
    if (!sum) return -1;
    ct_decref(s->grad);
    s->grad = sum;
    return 0;
}

/* AccumulateGrad: leaf.grad += g (a fresh tensor when create_graph keeps history) */
static int accumulate(ct_tensor *leaf, ct_tensor *g, bool create_graph) {
    if (!leaf->grad) {
        /* keep g when nothing else holds it; otherwise a copy the user may modify freely */
        bool own = g->refcount == 2 && g->storage->refcount == 1 && ct_is_non_overlapping_and_dense(g);
        leaf->grad = own && !create_graph ? ct_incref(g) : ct_clone(g);
        if (leaf->grad && !create_graph && leaf->grad->grad_fn) {
            ct_node_decref(leaf->grad->grad_fn);
            leaf->grad->grad_fn = NULL;
        }
        return leaf->grad ? 0 : -1;
    }
    if (create_graph) {
        ct_tensor *sum = ct_binary(CT_OP_add, leaf->grad, g, NULL, NULL);
        if (!sum) return -1;
        ct_decref(leaf->grad);
        leaf->grad = sum;
        return 0;
    }
    ct_tensor *r = ct_binary(CT_OP_add, leaf->grad, g, NULL, leaf->grad);
    ct_xdecref(r);
    return r ? 0 : -1;
}

int ct_backward(int nroots, ct_tensor *const *roots, ct_tensor *const *grad_roots, bool retain_graph,
                bool create_graph, int ninputs, ct_tensor *const *inputs, ct_tensor **out) {
    graph g = {NULL, 0, 0, NULL, 0};
    int rc = 0;
    bool was_enabled = ct_grad_enabled();
    ct_set_grad_enabled(create_graph);
    for (int i = 0; i < ninputs; i++) out[i] = NULL;
    /* the node each root's gradient enters: its grad_fn, or (a leaf root) an accumulator */
    ct_node *entry[64];
    if (nroots > 64) {
        rc = ct_error(CT_ERR_RUNTIME, "backward: at most 64 outputs at once");
        goto done;
    }
    for (int r = 0; r < nroots; r++) {
        ct_tensor *t = roots[r];
        if (!ct_requires_grad(t)) {
            rc = ct_error(CT_ERR_RUNTIME, "element %d of tensors does not require grad and does not have a grad_fn", r);
            goto done;
        }
        if (t->grad_fn) {
            if (t->grad_fn->released) {
                rc = ct_error(CT_ERR_RUNTIME, "Trying to backward through the graph a second time (or directly access "
                              "saved tensors after they have already been freed). Saved intermediate values of the "
                              "graph are freed when you call .backward() or autograd.grad(). Specify "
                              "retain_graph=True if you need to backward through the graph a second time or if you "
                              "need to access saved tensors after calling backward.");
                goto done;
            }
            ct_node_incref(t->grad_fn);
            entry[r] = t->grad_fn;
        } else {
            entry[r] = calloc(1, sizeof(ct_node));
            if (!entry[r]) {
                rc = ct_error(CT_ERR_NOMEM, "autograd: out of memory");
                goto done;
            }
            entry[r]->refcount = 1;
            entry[r]->kind = CT_NODE_ACCUMULATE;
            entry[r]->name = "AccumulateGrad";
            entry[r]->leaf = ct_incref(t);
        }
        if (collect(&g, entry[r]) < 0) {
            rc = -1;
            nroots = r + 1;
            goto release_entries;
        }
    }
    /* autograd.grad: capture the gradients that would reach these inputs */
    for (int i = 0; i < ninputs; i++) {
        for (int k = 0; k < g.n; k++) {
            ct_node *n = g.slots[k].node;
            bool hit = (n->kind == CT_NODE_ACCUMULATE && n->leaf == inputs[i]) ||
                       (inputs[i]->grad_fn && n == inputs[i]->grad_fn && inputs[i]->grad_fn->kind != CT_NODE_ACCUMULATE);
            if (hit) g.slots[k].capture = i;
        }
    }
    for (int r = 0; r < nroots && rc == 0; r++) {
        ct_tensor *gr = grad_roots && grad_roots[r] ? ct_incref(grad_roots[r])
                                                    : ct_full(roots[r]->ndim, roots[r]->sizes, ct_scalar_i(1),
                                                              roots[r]->dtype, ct_device_of(roots[r]));
        if (!gr || deliver(&g.slots[find(&g, entry[r])], gr) < 0) rc = -1;
        ct_xdecref(gr);
    }
    /* run: the ready node with the highest sequence number first */
    ready_heap ready = {NULL, 0, 0};
    for (int k = 0; k < g.n && rc == 0; k++)
        if (g.slots[k].deps == 0) rc = heap_push(&ready, &g, k);
    while (rc == 0 && ready.n > 0) {
        int best = heap_pop(&ready, &g);
        slot *s = &g.slots[best];
        ct_node *n = s->node;
        s->node = NULL;   /* done */
        ct_tensor *grad = s->grad;
        s->grad = NULL;
        if (!grad) continue;   /* nothing reached this node */
        if (s->capture >= 0 && ninputs > 0) {   /* autograd.grad: this input's gradient (summed over uses) */
            ct_tensor **o = &out[s->capture];
            if (*o) {
                ct_tensor *sum = ct_binary(CT_OP_add, *o, grad, NULL, NULL);
                if (!sum) rc = -1;
                ct_decref(*o);
                *o = sum;
            } else {
                *o = ct_incref(grad);
            }
            if (n->kind == CT_NODE_ACCUMULATE) {
                ct_decref(grad);
                continue;
            }
        }
        if (n->kind == CT_NODE_ACCUMULATE) {
            ct_tensor *hooked = n->leaf->hooks ? ct_hooks_run(n->leaf->hooks, grad) : ct_incref(grad);
            if (!hooked || (ninputs == 0 && accumulate(n->leaf, hooked, create_graph) < 0)) rc = -1;
            ct_xdecref(hooked);
            ct_decref(grad);
            continue;
        }
        if (n->hooks) {   /* hooks on the gradient of a non-leaf tensor */
            ct_tensor *hooked = ct_hooks_run(n->hooks, grad);
            ct_decref(grad);
            if (!hooked) {
                rc = -1;
                break;
            }
            grad = hooked;
        }
        if (n->released) {
            ct_decref(grad);
            rc = ct_error(CT_ERR_RUNTIME, "Trying to backward through the graph a second time (or directly access "
                          "saved tensors after they have already been freed). Saved intermediate values of the graph "
                          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you "
                          "need to backward through the graph a second time or if you need to access saved tensors "
                          "after calling backward.");
            break;
        }
        if (n->retain && ninputs == 0) {   /* retain_grad() on a non-leaf */
            ct_tensor *keep = create_graph ? ct_incref(grad) : ct_clone(grad);
            ct_xdecref(n->retain->grad);
            n->retain->grad = keep;
        }
        ct_tensor *grads[CT_NODE_MAX_INPUTS] = {NULL};
        rc = ct_derivative(n, grad, grads);
        if (rc == 0 && ct_detect_anomaly) rc = check_nan(n, grads);
        ct_decref(grad);
        for (int i = 0; i < n->nnext; i++) {
            ct_node *m = n->next[i].node;
            if (!m) {
                ct_xdecref(grads[i]);
                continue;
            }
            int k = find(&g, m);
            if (rc == 0 && grads[i] && deliver(&g.slots[k], grads[i]) < 0) rc = -1;
            ct_xdecref(grads[i]);
            if (--g.slots[k].deps == 0 && rc == 0) rc = heap_push(&ready, &g, k);
        }
        if (!retain_graph) {   /* free what this node saved: a second backward is an error */
            for (int i = 0; i < n->nsaved; i++) {
                ct_xdecref(n->saved[i]);
                n->saved[i] = NULL;
            }
            n->released = n->nsaved > 0;
        }
    }
    free(ready.items);
    for (int k = 0; k < g.n; k++) ct_xdecref(g.slots[k].grad);
release_entries:
    for (int r = 0; r < nroots; r++) ct_node_decref(entry[r]);
done:
    free(g.slots);
    free(g.index);
    ct_set_grad_enabled(was_enabled);
    if (rc < 0)
        for (int i = 0; i < ninputs; i++) {
            ct_xdecref(out[i]);
            out[i] = NULL;
        }
    return rc;
}
