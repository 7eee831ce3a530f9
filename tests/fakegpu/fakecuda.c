/* A simulated libcuda.so.1 (CUDA driver API) for tests on machines without a GPU.
 *
 * Answers from the same machine description as the simulated NVML (FAKEGPU_MACHINE) and
 * numbers devices the way CUDA does: CUDA_DEVICE_ORDER=FASTEST_FIRST (the default) sorts
 * by the description's "speed" (fastest first, ties in PCI bus order), PCI_BUS_ID by bus
 * id; then CUDA_VISIBLE_DEVICES keeps the listed entries in the listed order: ordinals,
 * GPU-<uuid> prefixes, MIG devices (a GPU's "mig_instances", each with "uuid", "gi",
 * "ci"); an empty value hides every device and the first entry matching nothing hides
 * itself and the rest. MIG devices are named as NVIDIA's MIG user guide ("CUDA Device
 * Enumeration", https://docs.nvidia.com/datacenter/tesla/mig-user-guide/) documents per
 * driver: MIG-<UUID> from R470 (470.42.01), MIG-<GPU-UUID>/<GPU instance ID>/<compute
 * instance ID> before; the other form matches nothing.
 * Build: cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o libcuda.so.1 fakecuda.c
 */
#include <ctype.h>
#include "machine.h"

typedef int CUresult;
typedef int CUdevice;
typedef struct { char bytes[16]; } CUuuid;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INSUFFICIENT_DRIVER = 35,
    CUDA_ERROR_UNKNOWN = 999,
};

static const struct { const char *name; int code; } ERRORS[] = {
    {"CUDA_ERROR_INVALID_VALUE", 1}, {"CUDA_ERROR_OUT_OF_MEMORY", 2},
    {"CUDA_ERROR_NOT_INITIALIZED", 3}, {"CUDA_ERROR_NO_DEVICE", 100},
    {"CUDA_ERROR_INVALID_DEVICE", 101}, {"CUDA_ERROR_INSUFFICIENT_DRIVER", 35},
    {"CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", 803}, {"CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", 804},
    {"CUDA_ERROR_UNKNOWN", 999},
};

/* a visible device: a GPU of the description, or one MIG instance of it */
typedef struct { jnode *gpu; jnode *mig; } visible_t;

static visible_t visible[64];
static int n_visible = -1;

static int code_of(const char *name) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++)
        if (!strcmp(ERRORS[i].name, name)) return ERRORS[i].code;
    return CUDA_ERROR_UNKNOWN;
}

static int starts_with_ci(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix)) return 0;
    return 1;
}

static int cmp_bus(const void *a, const void *b) {
    return strcasecmp(j_str(j_get(*(jnode **)a, "pci_bus_id"), ""),
                      j_str(j_get(*(jnode **)b, "pci_bus_id"), ""));
}

static int cmp_speed(const void *a, const void *b) {
    double sa = j_num(j_get(*(jnode **)a, "speed"), 0), sb = j_num(j_get(*(jnode **)b, "speed"), 0);
    if (sa != sb) return sa > sb ? -1 : 1;
    return cmp_bus(a, b);
}

/* Driver 470.42.01 or newer names MIG devices MIG-<UUID>. */
static int mig_uuids_driver(void) {
    int major = 0, minor = 0, patch = 0;
    sscanf(j_str(j_get(fake_machine, "driver_version"), "0.0.0"), "%d.%d.%d", &major, &minor,
           &patch);
    if (major != 470) return major > 470;
    return minor > 42 || (minor == 42 && patch >= 1);
}

/* MIG-GPU-<uuid>/<gi>/<ci>: the GPU part and the two ids; 0 when tok is not that form. */
static int legacy_mig(const char *tok, char *gpu_uuid, size_t size, int *gi, int *ci) {
    if (!starts_with_ci(tok, "MIG-GPU-")) return 0;
    const char *slash = strchr(tok, '/');
    if (!slash || (size_t)(slash - tok - 4) >= size) return 0;
    snprintf(gpu_uuid, size, "%.*s", (int)(slash - tok - 4), tok + 4);
    char end;
    return sscanf(slash, "/%d/%d%c", gi, ci, &end) == 2;
}

static void enumerate(void) {
    jnode *gpus = machine_gpus();
    int n = gpus ? gpus->n : 0;
    jnode *order[64];
    for (int i = 0; i < n && i < 64; i++) order[i] = gpus->kids[i];
    const char *how = getenv("CUDA_DEVICE_ORDER");
    qsort(order, n, sizeof *order, how && !strcmp(how, "PCI_BUS_ID") ? cmp_bus : cmp_speed);
    n_visible = 0;
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    if (!cvd) {
        for (int i = 0; i < n; i++) visible[n_visible++] = (visible_t){order[i], NULL};
        return;
    }
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", cvd);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        while (isspace((unsigned char)*tok)) tok++;
        char *end = tok + strlen(tok);
        while (end > tok && isspace((unsigned char)end[-1])) *--end = 0;
        visible_t found = {NULL, NULL};
        int matches = 0;
        char gpu_uuid[128];
        int gi, ci;
        if (legacy_mig(tok, gpu_uuid, sizeof gpu_uuid, &gi, &ci)) {
            for (int i = 0; i < n && !mig_uuids_driver(); i++) {
                if (!starts_with_ci(j_str(j_get(order[i], "uuid"), ""), gpu_uuid)) continue;
                jnode *migs = j_get(order[i], "mig_instances");
                for (int k = 0; migs && k < migs->n; k++)
                    if ((int)j_num(j_get(migs->kids[k], "gi"), -1) == gi &&
                        (int)j_num(j_get(migs->kids[k], "ci"), -1) == ci) {
                        found = (visible_t){order[i], migs->kids[k]};
                        matches++;
                    }
            }
        } else if (starts_with_ci(tok, "MIG-")) {
            for (int i = 0; i < n && mig_uuids_driver(); i++) {
                jnode *migs = j_get(order[i], "mig_instances");
                for (int k = 0; migs && k < migs->n; k++)
                    if (starts_with_ci(j_str(j_get(migs->kids[k], "uuid"), ""), tok)) {
                        found = (visible_t){order[i], migs->kids[k]};
                        matches++;
                    }
            }
        } else if (starts_with_ci(tok, "GPU-")) {
            for (int i = 0; i < n; i++)
                if (starts_with_ci(j_str(j_get(order[i], "uuid"), ""), tok)) {
                    found = (visible_t){order[i], NULL};
                    matches++;
                }
        } else {
            char *rest;
            long idx = strtol(tok, &rest, 10);
            if (*tok && !*rest && idx >= 0 && idx < n) {
                found = (visible_t){order[idx], NULL};
                matches = 1;
            }
        }
        if (matches != 1) break; /* an invalid entry hides itself and every later one */
        int dup = 0;
        for (int v = 0; v < n_visible; v++)
            if (visible[v].gpu == found.gpu && visible[v].mig == found.mig) dup = 1;
        if (dup) break;
        visible[n_visible++] = found;
    }
}

static int initialised = 0;

CUresult cuInit(unsigned int flags) {
    (void)flags;
    if (!machine_load()) return CUDA_ERROR_UNKNOWN;
    const char *fault = machine_fault("cuInit", NULL);
    if (fault) return code_of(fault);
    enumerate();
    if (n_visible == 0) return CUDA_ERROR_NO_DEVICE;
    initialised = 1;
    return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int *version) {
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    if (!machine_load()) return CUDA_ERROR_UNKNOWN;
    *version = (int)j_num(j_get(fake_machine, "cuda_driver_version"), 0);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    *count = n_visible;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (ordinal < 0 || ordinal >= n_visible) return CUDA_ERROR_INVALID_DEVICE;
    *device = ordinal;
    return CUDA_SUCCESS;
}

static visible_t *dev_entry(CUdevice dev, const char *call, CUresult *rc) {
    if (!initialised) { *rc = CUDA_ERROR_NOT_INITIALIZED; return NULL; }
    if (dev < 0 || dev >= n_visible) { *rc = CUDA_ERROR_INVALID_DEVICE; return NULL; }
    const char *fault = machine_fault(call, visible[dev].gpu);
    if (fault) { *rc = code_of(fault); return NULL; }
    *rc = CUDA_SUCCESS;
    return &visible[dev];
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
    CUresult rc;
    visible_t *v = dev_entry(dev, "cuDeviceGetName", &rc);
    if (!v) return rc;
    const char *base = j_str(j_get(v->gpu, "name"), "NVIDIA Graphics Device");
    if (v->mig)
        snprintf(name, len, "%s MIG %s", base, j_str(j_get(v->mig, "profile"), "1g.10gb"));
    else
        snprintf(name, len, "%s", base);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetPCIBusId(char *bus_id, int len, CUdevice dev) {
    CUresult rc;
    visible_t *v = dev_entry(dev, "cuDeviceGetPCIBusId", &rc);
    if (!v) return rc;
    unsigned domain = 0, bus = 0, d = 0, fn = 0;
    sscanf(j_str(j_get(v->gpu, "pci_bus_id"), "0:0:0.0"), "%x:%x:%x.%x", &domain, &bus, &d, &fn);
    snprintf(bus_id, len, "%04X:%02X:%02X.%X", domain, bus, d, fn);
    return CUDA_SUCCESS;
}

static void uuid_bytes(const char *text, char out[16]) {
    const char *p = strchr(text, '-');
    p = p ? p + 1 : text; /* skip GPU- / MIG- */
    int k = 0;
    while (*p && k < 16) {
        if (*p == '-') { p++; continue; }
        unsigned byte = 0;
        if (sscanf(p, "%2x", &byte) != 1) break;
        out[k++] = (char)byte;
        p += 2;
    }
    while (k < 16) out[k++] = 0;
}

CUresult cuDeviceGetUuid(CUuuid *uuid, CUdevice dev) {
    CUresult rc;
    visible_t *v = dev_entry(dev, "cuDeviceGetUuid", &rc);
    if (!v) return rc;
    uuid_bytes(j_str(j_get(v->mig ? v->mig : v->gpu, "uuid"), ""), uuid->bytes);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev) { return cuDeviceGetUuid(uuid, dev); }

CUresult cuDeviceGetAttribute(int *value, int attrib, CUdevice dev) {
    CUresult rc;
    visible_t *v = dev_entry(dev, "cuDeviceGetAttribute", &rc);
    if (!v) return rc;
    jnode *cc = j_get(v->gpu, "compute_capability");
    unsigned domain = 0, bus = 0, d = 0;
    sscanf(j_str(j_get(v->gpu, "pci_bus_id"), "0:0:0.0"), "%x:%x:%x", &domain, &bus, &d);
    switch (attrib) {
    case 75: *value = (int)j_num(j_at(cc, 0), 0); break; /* COMPUTE_CAPABILITY_MAJOR */
    case 76: *value = (int)j_num(j_at(cc, 1), 0); break; /* COMPUTE_CAPABILITY_MINOR */
    case 33: *value = (int)bus; break;                   /* PCI_BUS_ID */
    case 34: *value = (int)d; break;                     /* PCI_DEVICE_ID */
    case 50: *value = (int)domain; break;                /* PCI_DOMAIN_ID */
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    CUresult rc;
    visible_t *v = dev_entry(dev, "cuDeviceTotalMem", &rc);
    if (!v) return rc;
    *bytes = (size_t)j_num(j_get(v->gpu, "memory_total_mib"), 0) * 1024 * 1024;
    return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++)
        if (ERRORS[i].code == error) { *name = ERRORS[i].name; return CUDA_SUCCESS; }
    *name = "CUDA_ERROR_UNKNOWN";
    return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **text) { return cuGetErrorName(error, text); }
