/* A simulated libnvidia-ml.so.1 for tests on machines without a GPU.
 *
 * Implements the NVML calls gpusetup makes, with nvml.h's exact signatures and struct
 * layouts (nvmlPciInfo_t v3, nvmlMemory_t), answering from the machine description JSON
 * named by FAKEGPU_MACHINE (see machine.h). A GPU field that is absent or null answers
 * NVML_ERROR_NOT_SUPPORTED, as consumer boards do. Build:
 *   cc -shared -fPIC -Wl,-soname,libnvidia-ml.so.1 -o libnvidia-ml.so.1 fakenvml.c
 */
#include "machine.h"

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_UNKNOWN = 999,
};

static const struct { const char *name; int code; } ERRORS[] = {
    {"UNINITIALIZED", 1}, {"INVALID_ARGUMENT", 2}, {"NOT_SUPPORTED", 3},
    {"NO_PERMISSION", 4}, {"NOT_FOUND", 6}, {"INSUFFICIENT_SIZE", 7},
    {"DRIVER_NOT_LOADED", 9}, {"TIMEOUT", 10}, {"LIBRARY_NOT_FOUND", 12},
    {"FUNCTION_NOT_FOUND", 13}, {"CORRUPTED_INFOROM", 14}, {"GPU_IS_LOST", 15},
    {"RESET_REQUIRED", 16}, {"LIB_RM_VERSION_MISMATCH", 18}, {"UNKNOWN", 999},
};

#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32

typedef struct {
    char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;
    unsigned int pciSubSystemId;
    char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} nvmlPciInfo_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

static int initialised = 0;

static int error_code(const char *name) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++)
        if (!strcmp(ERRORS[i].name, name)) return ERRORS[i].code;
    return NVML_ERROR_UNKNOWN;
}

/* Common entry for device calls: checks init, the handle and injected faults. */
static int device_entry(const char *call, nvmlDevice_t dev, jnode **gpu) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    *gpu = (jnode *)dev;
    if (!*gpu) return NVML_ERROR_INVALID_ARGUMENT;
    const char *fault = machine_fault(call, *gpu);
    return fault ? error_code(fault) : NVML_SUCCESS;
}

#define DEVICE_ENTRY(call)                                   \
    jnode *gpu;                                              \
    int rc_ = device_entry(call, device, &gpu);              \
    if (rc_) return rc_;

static int copy_out(char *dst, unsigned int size, const char *src) {
    if (strlen(src) + 1 > size) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(dst, src);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
    (void)flags;
    if (!machine_load()) return NVML_ERROR_UNKNOWN;
    const char *fault = machine_fault("nvmlInit", NULL);
    if (fault) return error_code(fault);
    initialised = 1;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
nvmlReturn_t nvmlInit(void) { return nvmlInitWithFlags(0); }

nvmlReturn_t nvmlShutdown(void) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    initialised = 0;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    for (size_t i = 0; i < sizeof ERRORS / sizeof *ERRORS; i++)
        if (ERRORS[i].code == result) return ERRORS[i].name;
    return "Unknown Error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    const char *fault = machine_fault("nvmlSystemGetDriverVersion", NULL);
    if (fault) return error_code(fault);
    return copy_out(version, length, j_str(j_get(fake_machine, "driver_version"), "0.0"));
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    const char *v = j_str(j_get(fake_machine, "nvml_version"), NULL);
    if (!v) return NVML_ERROR_NOT_SUPPORTED;
    return copy_out(version, length, v);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    if (!cudaDriverVersion) return NVML_ERROR_INVALID_ARGUMENT;
    *cudaDriverVersion = (int)j_num(j_get(fake_machine, "cuda_driver_version"), 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) { return nvmlSystemGetCudaDriverVersion_v2(v); }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    const char *fault = machine_fault("nvmlDeviceGetCount", NULL);
    if (fault) return error_code(fault);
    *count = (unsigned int)machine_gpu_count();
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!initialised) return NVML_ERROR_UNINITIALIZED;
    jnode *gpu = j_at(machine_gpus(), (int)index);
    if (!gpu) return NVML_ERROR_INVALID_ARGUMENT;
    const char *fault = machine_fault("nvmlDeviceGetHandleByIndex", gpu);
    if (fault) return error_code(fault);
    *device = (nvmlDevice_t)gpu;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
    DEVICE_ENTRY("nvmlDeviceGetIndex");
    jnode *gpus = machine_gpus();
    for (int i = 0; i < gpus->n; i++)
        if (gpus->kids[i] == gpu) { *index = (unsigned int)i; return NVML_SUCCESS; }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    DEVICE_ENTRY("nvmlDeviceGetName");
    return copy_out(name, length, j_str(j_get(gpu, "name"), "NVIDIA Graphics Device"));
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    DEVICE_ENTRY("nvmlDeviceGetUUID");
    return copy_out(uuid, length, j_str(j_get(gpu, "uuid"), "GPU-00000000-0000-0000-0000-000000000000"));
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    DEVICE_ENTRY("nvmlDeviceGetPciInfo");
    const char *bus_id = j_str(j_get(gpu, "pci_bus_id"), "00000000:00:00.0");
    unsigned int domain = 0, bus = 0, dev = 0, fn = 0;
    sscanf(bus_id, "%x:%x:%x.%x", &domain, &bus, &dev, &fn);
    memset(pci, 0, sizeof *pci);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.%X", domain, bus, dev, fn);
    snprintf(pci->busId, sizeof pci->busId, "%s", bus_id);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    pci->pciDeviceId = (unsigned int)strtoul(j_str(j_get(gpu, "pci_device_id"), "0x000010DE"), NULL, 16);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    DEVICE_ENTRY("nvmlDeviceGetCudaComputeCapability");
    jnode *cc = j_get(gpu, "compute_capability");
    if (!j_present(cc)) return NVML_ERROR_NOT_SUPPORTED;
    *major = (int)j_num(j_at(cc, 0), 0);
    *minor = (int)j_num(j_at(cc, 1), 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    DEVICE_ENTRY("nvmlDeviceGetMemoryInfo");
    jnode *mib = j_get(gpu, "memory_total_mib");
    if (!j_present(mib)) return NVML_ERROR_NOT_SUPPORTED;
    memory->total = (unsigned long long)j_num(mib, 0) * 1024ULL * 1024ULL;
    memory->used = 0;
    memory->free = memory->total;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minor) {
    DEVICE_ENTRY("nvmlDeviceGetMinorNumber");
    jnode *m = j_get(gpu, "minor_number");
    if (!j_present(m)) return NVML_ERROR_NOT_SUPPORTED;
    *minor = (unsigned int)j_num(m, 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, int *mode) {
    DEVICE_ENTRY("nvmlDeviceGetPersistenceMode");
    jnode *m = j_get(gpu, "persistence_mode");
    if (!j_present(m)) return NVML_ERROR_NOT_SUPPORTED;
    *mode = (int)j_num(m, 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *current, unsigned int *pending) {
    DEVICE_ENTRY("nvmlDeviceGetMigMode");
    jnode *mig = j_get(gpu, "mig");
    if (!j_present(mig)) return NVML_ERROR_NOT_SUPPORTED;
    *current = (unsigned int)j_num(j_at(mig, 0), 0);
    *pending = (unsigned int)j_num(j_at(mig, 1), 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetRetiredPagesPendingStatus(nvmlDevice_t device, int *pending) {
    DEVICE_ENTRY("nvmlDeviceGetRetiredPagesPendingStatus");
    jnode *p = j_get(gpu, "retired_pages_pending");
    if (!j_present(p)) return NVML_ERROR_NOT_SUPPORTED;
    *pending = (int)j_num(p, 0);
    return NVML_SUCCESS;
}

/* Two-call protocol as in nvml.h: count first (addresses NULL), then the addresses. */
nvmlReturn_t nvmlDeviceGetRetiredPages(nvmlDevice_t device, int cause, unsigned int *count,
                                       unsigned long long *addresses) {
    DEVICE_ENTRY("nvmlDeviceGetRetiredPages");
    jnode *pages = j_get(gpu, "retired_pages");
    if (!j_present(pages)) return NVML_ERROR_NOT_SUPPORTED;
    unsigned int have = (unsigned int)j_num(j_get(pages, cause == 0 ? "sbe" : "dbe"), 0);
    if (!addresses || *count < have) {
        *count = have;
        return have ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
    }
    for (unsigned int i = 0; i < have; i++) addresses[i] = 0x1000ULL * (i + 1);
    *count = have;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetRemappedRows(nvmlDevice_t device, unsigned int *corr, unsigned int *unc,
                                       unsigned int *pending, unsigned int *failure) {
    DEVICE_ENTRY("nvmlDeviceGetRemappedRows");
    jnode *r = j_get(gpu, "remapped_rows");
    if (!j_present(r)) return NVML_ERROR_NOT_SUPPORTED;
    *corr = (unsigned int)j_num(j_get(r, "corrected"), 0);
    *unc = (unsigned int)j_num(j_get(r, "uncorrected"), 0);
    *pending = (unsigned int)j_num(j_get(r, "pending"), 0);
    *failure = (unsigned int)j_num(j_get(r, "failure"), 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int errorType, int counterType,
                                         unsigned long long *count) {
    DEVICE_ENTRY("nvmlDeviceGetTotalEccErrors");
    /* errorType 1 = uncorrected, counterType 0 = volatile; other combinations report 0 */
    jnode *e = j_get(gpu, "ecc_volatile_uncorrected");
    if (!j_present(e)) return NVML_ERROR_NOT_SUPPORTED;
    *count = (errorType == 1 && counterType == 0) ? (unsigned long long)j_num(e, 0) : 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceValidateInforom(nvmlDevice_t device) {
    DEVICE_ENTRY("nvmlDeviceValidateInforom");
    jnode *v = j_get(gpu, "inforom_valid");
    if (!j_present(v)) return NVML_ERROR_NOT_SUPPORTED;
    return j_num(v, 1) ? NVML_SUCCESS : NVML_ERROR_CORRUPTED_INFOROM;
}

/* MIG devices: a GPU's "mig_instances" (each with "uuid", "gi", "ci"); a MIG device
 * handle is the instance's node, so the device calls above (nvmlDeviceGetUUID) answer
 * for it as NVML does for a MIG handle. */
nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count) {
    DEVICE_ENTRY("nvmlDeviceGetMaxMigDeviceCount");
    if (!j_present(j_get(gpu, "mig"))) return NVML_ERROR_NOT_SUPPORTED;
    *count = 7; /* an A100/H100 holds at most seven */
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t *migDevice) {
    DEVICE_ENTRY("nvmlDeviceGetMigDeviceHandleByIndex");
    if (!j_present(j_get(gpu, "mig"))) return NVML_ERROR_NOT_SUPPORTED;
    jnode *mig = j_at(j_get(gpu, "mig_instances"), (int)index);
    if (!mig) return NVML_ERROR_NOT_FOUND;
    *migDevice = (nvmlDevice_t)mig;
    return NVML_SUCCESS;
}

static nvmlReturn_t instance_id(nvmlDevice_t device, const char *call, const char *key,
                                unsigned int *id) {
    DEVICE_ENTRY(call);
    jnode *v = j_get(gpu, key);
    if (!j_present(v)) return NVML_ERROR_INVALID_ARGUMENT; /* not a MIG device handle */
    *id = (unsigned int)j_num(v, 0);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id) {
    return instance_id(device, "nvmlDeviceGetGpuInstanceId", "gi", id);
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id) {
    return instance_id(device, "nvmlDeviceGetComputeInstanceId", "ci", id);
}
