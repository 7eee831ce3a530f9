/* Machine description for the simulated driver libraries: a small JSON reader.
 *
 * The simulated libnvidia-ml.so.1 (and libcuda.so.1) answer from the JSON file named by
 * FAKEGPU_MACHINE. Faults are injected per call: "faults": {"nvmlDeviceGetUUID": "hang"}
 * at the machine level or inside a GPU, with an NVML error name (e.g. "GPU_IS_LOST"),
 * "hang" (the call never returns) or "fork-then-hang" (a helper process is forked first).
 */
#ifndef FAKEGPU_MACHINE_H
#define FAKEGPU_MACHINE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jnode {
    enum jtype type;
    double num;
    char *str;
    int n;
    char **keys;
    struct jnode **kids;
} jnode;

static jnode *j_parse_value(const char **p);

static inline void j_ws(const char **p) {
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++;
}

static jnode *j_new(enum jtype t) {
    jnode *n = calloc(1, sizeof(jnode));
    n->type = t;
    return n;
}

static char *j_string(const char **p) {
    /* *p at the opening quote; handles the escapes a machine file needs */
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    (*p)++;
    while (**p && **p != '"') {
        char c = **p;
        if (c == '\\') {
            (*p)++;
            c = **p;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'u') { /* keep \uXXXX as '?' : names here are ASCII */
                c = '?';
                for (int i = 0; i < 4 && (*p)[1]; i++) (*p)++;
            }
        }
        if (len + 2 > cap) out = realloc(out, cap *= 2);
        out[len++] = c;
        (*p)++;
    }
    if (**p == '"') (*p)++;
    out[len] = 0;
    return out;
}

static inline void j_push(jnode *n, char *key, jnode *kid) {
    n->kids = realloc(n->kids, sizeof(jnode *) * (n->n + 1));
    n->keys = realloc(n->keys, sizeof(char *) * (n->n + 1));
    n->kids[n->n] = kid;
    n->keys[n->n] = key;
    n->n++;
}

static jnode *j_parse_value(const char **p) {
    j_ws(p);
    char c = **p;
    if (c == '{' || c == '[') {
        jnode *n = j_new(c == '{' ? J_OBJ : J_ARR);
        char close = c == '{' ? '}' : ']';
        (*p)++;
        j_ws(p);
        while (**p && **p != close) {
            char *key = NULL;
            if (n->type == J_OBJ) {
                key = j_string(p);
                j_ws(p);
                if (**p == ':') (*p)++;
            }
            j_push(n, key, j_parse_value(p));
            j_ws(p);
            if (**p == ',') (*p)++;
            j_ws(p);
        }
        if (**p) (*p)++;
        return n;
    }
    if (c == '"') {
        jnode *n = j_new(J_STR);
        n->str = j_string(p);
        return n;
    }
    if (!strncmp(*p, "true", 4)) { *p += 4; jnode *n = j_new(J_BOOL); n->num = 1; return n; }
    if (!strncmp(*p, "false", 5)) { *p += 5; return j_new(J_BOOL); }
    if (!strncmp(*p, "null", 4)) { *p += 4; return j_new(J_NULL); }
    jnode *n = j_new(J_NUM);
    char *end;
    n->num = strtod(*p, &end);
    *p = end > *p ? end : *p + 1;
    return n;
}

static jnode *j_get(const jnode *obj, const char *key) {
    if (!obj || obj->type != J_OBJ) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return obj->kids[i];
    return NULL;
}

static jnode *j_at(const jnode *arr, int i) {
    if (!arr || arr->type != J_ARR || i < 0 || i >= arr->n) return NULL;
    return arr->kids[i];
}

static inline int j_present(const jnode *n) { return n && n->type != J_NULL; }
static const char *j_str(const jnode *n, const char *dflt) {
    return n && n->type == J_STR ? n->str : dflt;
}
static inline double j_num(const jnode *n, double dflt) {
    return n && (n->type == J_NUM || n->type == J_BOOL) ? n->num : dflt;
}

static jnode *fake_machine = NULL;

/* Load FAKEGPU_MACHINE once; NULL when unset or unreadable. */
static jnode *machine_load(void) {
    if (fake_machine) return fake_machine;
    const char *path = getenv("FAKEGPU_MACHINE");
    if (!path) return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(size + 1);
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    buf[got] = 0;
    const char *p = buf;
    fake_machine = j_parse_value(&p);
    return fake_machine;
}

static jnode *machine_gpus(void) { return j_get(fake_machine, "gpus"); }
static inline int machine_gpu_count(void) {
    jnode *g = machine_gpus();
    return g ? g->n : 0;
}

/* The fault named for `call` on `gpu` (or machine-wide), or NULL. A "hang" never returns;
 * "fork-then-hang" first starts a helper process that never exits either (as a driver
 * library's helper, or what a framework forks, would), then hangs. */
static const char *machine_fault(const char *call, const jnode *gpu) {
    const char *f = j_str(j_get(j_get(gpu, "faults"), call), NULL);
    if (!f) f = j_str(j_get(j_get(fake_machine, "faults"), call), NULL);
    if (f && !strcmp(f, "fork-then-hang") && fork() == 0) {
        for (;;) pause();
    }
    if (f && (!strcmp(f, "hang") || !strcmp(f, "fork-then-hang"))) {
        for (;;) pause();
    }
    return f;
}

#endif
