/*
 * Tests of libcaloflow from C, run by scripts/test-embedding.sh on a tiny run trained there:
 *   capi_test RUN_DIR REFERENCE.h5 SEED
 * REFERENCE.h5 is `caloflow generate --model RUN_DIR --seed SEED --format flat` output.
 *
 * Checks: the showers of generate (to float rounding); no heap allocation, no thread start and
 * no BLAS call inside generation calls (malloc, pthread_create and cblas_sgemm are interposed
 * by this executable and counted); threads sharing one model give the sequential showers; the
 * error paths reachable from C return their code and a message.
 */
#define _GNU_SOURCE
#include "caloflow.h"
#include <cblas.h>
#include <dlfcn.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Interposed functions: count calls while `counting` is set ---------------------------- */

static atomic_int counting;
static atomic_long allocations, threads_started, blas_calls;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t s) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_realloc(p, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12; /* ENOMEM */
}
void *aligned_alloc(size_t a, size_t n) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_memalign(a, n);
}
void *memalign(size_t a, size_t n) {
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_memalign(a, n);
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg) {
    static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    if (!real) real = dlsym(RTLD_NEXT, "pthread_create");
    if (atomic_load(&counting)) atomic_fetch_add(&threads_started, 1);
    return real(t, a, f, arg);
}

void cblas_sgemm(const enum CBLAS_ORDER o, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
                 const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda,
                 const float *b, const blasint ldb, const float beta, float *c, const blasint ldc) {
    static void (*real)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE, const blasint,
                        const blasint, const blasint, const float, const float *, const blasint, const float *,
                        const blasint, const float, float *, const blasint);
    if (!real) real = dlsym(RTLD_NEXT, "cblas_sgemm");
    if (atomic_load(&counting)) atomic_fetch_add(&blas_calls, 1);
    real(o, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* ---- Helpers ----------------------------------------------------------------------------- */

static int failures;
#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
        }                                                                 \
    } while (0)

/* The status `s` is `expected` and the message mentions `fragment`. */
static void expect_error(int s, int expected, const char *fragment, const char *what) {
    const char *message = caloflow_last_error();
    CHECK(s == expected, "%s: got %s (%s), expected %s", what, caloflow_status_name(s), message, caloflow_status_name(expected));
    CHECK(strstr(message, fragment) != NULL, "%s: message '%s' does not mention '%s'", what, message, fragment);
}

/* Reads a float dataset of `count` values (count = 0: returns its size only). */
static float *read_dataset(hid_t file, const char *name, size_t *count) {
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t space = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    float *v = malloc((size_t)n * sizeof *v);
    H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Sclose(space);
    H5Dclose(d);
    *count = (size_t)n;
    return v;
}

typedef struct {
    const caloflow_model *model;
    const double *energies;
    size_t first, count;
    uint64_t seed;
    float *out;
    int status;
} worker_job;

static void *worker(void *p) {
    worker_job *job = p;
    caloflow_context *c = NULL;
    job->status = caloflow_context_create(job->model, 2, &c);
    for (size_t i = 0; i < job->count && job->status == CALOFLOW_OK; i++) {
        size_t k = job->first + i;
        job->status = caloflow_generate(c, job->energies + k, 1, job->seed, k, job->out + 504 * i, 504);
    }
    caloflow_context_destroy(c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: capi_test RUN_DIR REFERENCE.h5 SEED\n");
        return 2;
    }
    const char *run = argv[1];
    const uint64_t seed = strtoull(argv[3], NULL, 10);
    CHECK(caloflow_abi_version() == CALOFLOW_ABI_VERSION, "ABI %d vs header %d", caloflow_abi_version(), CALOFLOW_ABI_VERSION);

    /* Reference showers from `caloflow generate --format flat`. */
    hid_t file = H5Fopen(argv[2], H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(file >= 0, "cannot open %s", argv[2]);
    if (file < 0) return 1;
    size_t n_energy = 0, n_cells = 0;
    float *reference_energy = read_dataset(file, "incident_energies", &n_energy);
    float *reference = read_dataset(file, "showers", &n_cells);
    H5Fclose(file);
    CHECK(reference_energy && reference && n_cells == 504 * n_energy, "reference datasets (%zu energies, %zu cells)", n_energy, n_cells);
    const size_t n = n_energy;
    double *energies = malloc(n * sizeof *energies);
    for (size_t i = 0; i < n; i++) energies[i] = reference_energy[i]; /* MeV in the flat layout */

    caloflow_model *model = NULL;
    int s = caloflow_model_open(run, CALOFLOW_PRECISION_FLOAT32, CALOFLOW_MODEL_THRESHOLD, &model);
    CHECK(s == CALOFLOW_OK, "open %s: %s", run, caloflow_last_error());
    if (s != CALOFLOW_OK) return 1;
    const float threshold = (float)caloflow_model_threshold(model);

    /* 0. The geometry queries of ABI 2 on a CaloGAN run. */
    CHECK(strcmp(caloflow_model_geometry(model), "calogan") == 0, "geometry %s", caloflow_model_geometry(model));
    CHECK(caloflow_model_cell_count(model) == 504 && caloflow_model_layer_count(model) == 3, "CaloGAN cells and layers");
    CHECK(caloflow_model_layer_cell_count(model, 0) == 288 && caloflow_model_layer_cell_count(model, 2) == 72, "layer cells");
    CHECK(caloflow_model_layer_id(model, 2) == 2, "layer id");
    CHECK(caloflow_model_layer_segmentation(model, 1) == CALOFLOW_SEGMENTATION_GRID, "CaloGAN layers are grids");
    size_t edge_count = 0;
    CHECK(caloflow_model_layer_radial_edges(model, 0, NULL, 0, &edge_count) == CALOFLOW_ERROR_INVALID_ARGUMENT,
          "a grid layer has no radial edges");
    CHECK(caloflow_model_layer_cell_count(model, 3) == -1, "layer 3 does not exist");

    /* 1. The showers of generate. */
    caloflow_context *context = NULL;
    CHECK(caloflow_context_create(model, 16, &context) == CALOFLOW_OK, "%s", caloflow_last_error());
    float *cells = malloc(504 * n * sizeof *cells);
    s = caloflow_generate(context, energies, n, seed, 0, cells, 504 * n);
    CHECK(s == CALOFLOW_OK, "generate: %s", caloflow_last_error());
    float worst = 0;
    int at_threshold = 0;
    for (size_t i = 0; i < 504 * n; i++) {
        const float a = cells[i], b = reference[i];
        CHECK(isfinite(a) && a >= 0, "cell %zu = %g", i, a);
        if ((a == 0) != (b == 0)) {
            at_threshold++;
            CHECK(fmaxf(a, b) < threshold * 1.001f, "cell %zu: %g vs %g (only a cell at the threshold may be 0 in one)", i, a, b);
        } else if (a != b) {
            const float r = fabsf(a - b) / fmaxf(a, b);
            if (r > worst) worst = r;
        }
    }
    CHECK(worst < 1e-3f, "worst relative difference to generate %g", worst);
    printf("capi_test: %zu showers equal generate's: worst relative cell difference %.2e, %d cells at the threshold\n",
           n, worst, at_threshold);

    /* 2. No allocation, thread start or BLAS call inside generation (after the first call). */
    float *one = malloc(504 * n * sizeof *one);
    for (int batch = 1; batch <= 16; batch *= 4) {
        caloflow_generate(context, energies, (size_t)batch, seed, 0, one, 504 * n); /* warm-up */
        atomic_store(&counting, 1);
        for (int rep = 0; rep < 20; rep++) caloflow_generate(context, energies, (size_t)batch, seed, (uint64_t)rep, one, 504 * n);
        atomic_store(&counting, 0);
    }
    /* A request larger than max_batch runs in passes, still without allocating; so do
     * caller-supplied latent codes. */
    float *latents = malloc(507 * 4 * sizeof *latents);
    for (int i = 0; i < 507 * 4; i++) latents[i] = (float)((i % 13) - 6) / 4.0f;
    caloflow_generate_from_latent(context, energies, 4, latents, 507 * 4, one, 504 * n); /* warm-up */
    atomic_store(&counting, 1);
    caloflow_generate(context, energies, n, seed, 0, one, 504 * n);
    caloflow_generate_from_latent(context, energies, 4, latents, 507 * 4, one, 504 * n);
    caloflow_generate(context, energies, n, seed, 0, one, 504 * n);
    atomic_store(&counting, 0);
    free(latents);
    CHECK(memcmp(one, cells, 504 * n * sizeof *cells) == 0, "the same call gives the same showers");
    CHECK(atomic_load(&allocations) == 0, "%ld heap allocations inside generation", atomic_load(&allocations));
    /* The counter does see the library's allocations: a refused call formats its message on the heap. */
    {
        double nan_energy = NAN;
        long before = atomic_load(&allocations);
        atomic_store(&counting, 1);
        caloflow_generate(context, &nan_energy, 1, seed, 0, one, 504);
        atomic_store(&counting, 0);
        CHECK(atomic_load(&allocations) > before, "the interposed malloc does not see the library's allocations");
        atomic_store(&allocations, before);
    }
    CHECK(atomic_load(&threads_started) == 0, "%ld threads started inside generation", atomic_load(&threads_started));
    CHECK(atomic_load(&blas_calls) == 0, "%ld BLAS calls inside generation", atomic_load(&blas_calls));
    printf("capi_test: generation calls at batch 1, 4, 16 and %zu, and from latent codes: %ld allocations, %ld thread starts, %ld BLAS calls\n",
           n, atomic_load(&allocations), atomic_load(&threads_started), atomic_load(&blas_calls));

    /* 3. Threads sharing the model, one context each, one shower per call. */
    enum { THREADS = 4 };
    pthread_t tids[THREADS];
    worker_job jobs[THREADS];
    float *threaded = malloc(504 * n * sizeof *threaded);
    const size_t per = n / THREADS;
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (worker_job){model, energies, t * per, t == THREADS - 1 ? n - t * per : per, seed, threaded + 504 * t * per, 0};
        pthread_create(&tids[t], NULL, worker, &jobs[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tids[t], NULL);
        CHECK(jobs[t].status == CALOFLOW_OK, "thread %d: %s", t, caloflow_status_name(jobs[t].status));
    }
    CHECK(memcmp(threaded, cells, 504 * n * sizeof *cells) == 0, "threads give the sequential showers");
    printf("capi_test: %d threads, one context each: the sequential showers, bit for bit\n", THREADS);

    /* 4. Error paths. */
    caloflow_model *none = NULL;
    caloflow_context *no_context = NULL;
    double bad[3] = {20000, NAN, 30000};
    expect_error(caloflow_model_open(NULL, 0, -1, &none), CALOFLOW_ERROR_INVALID_ARGUMENT, "NULL", "open NULL path");
    expect_error(caloflow_model_open("/nonexistent/run", 0, -1, &none), CALOFLOW_ERROR_NOT_FOUND, "/nonexistent/run", "open missing");
    expect_error(caloflow_model_open(argv[2], 0, -1, &none), CALOFLOW_ERROR_NOT_FOUND, "is a file", "open a file");
    expect_error(caloflow_model_open(run, 3, -1, &none), CALOFLOW_ERROR_INVALID_ARGUMENT, "precision", "open bad precision");
    expect_error(caloflow_context_create(model, 0, &no_context), CALOFLOW_ERROR_INVALID_ARGUMENT, "maximum batch", "max batch 0");
    expect_error(caloflow_generate(NULL, energies, 1, seed, 0, one, 504), CALOFLOW_ERROR_INVALID_ARGUMENT, "context", "NULL context");
    expect_error(caloflow_generate(context, bad, 3, seed, 0, one, 3 * 504), CALOFLOW_ERROR_ENERGY, "incident energy 1", "NaN energy");
    bad[1] = -5;
    expect_error(caloflow_generate(context, bad, 3, seed, 0, one, 3 * 504), CALOFLOW_ERROR_ENERGY, "positive", "negative energy");
    bad[1] = 1e9;
    expect_error(caloflow_generate(context, bad, 3, seed, 0, one, 3 * 504), CALOFLOW_ERROR_ENERGY, "training range", "too high");
    expect_error(caloflow_generate(context, energies, 2, seed, 0, one, 1000), CALOFLOW_ERROR_BUFFER_TOO_SMALL, "1008", "small buffer");
    float latent[2 * 507];
    for (int i = 0; i < 2 * 507; i++) latent[i] = 0.1f;
    CHECK(caloflow_generate_from_latent(context, energies, 2, latent, 2 * 507, one, 2 * 504) == CALOFLOW_OK, "%s", caloflow_last_error());
    expect_error(caloflow_generate_from_latent(context, energies, 2, latent, 507, one, 2 * 504), CALOFLOW_ERROR_BUFFER_TOO_SMALL,
                 "latent", "short latent");
    latent[510] = NAN;
    expect_error(caloflow_generate_from_latent(context, energies, 2, latent, 2 * 507, one, 2 * 504), CALOFLOW_ERROR_LATENT,
                 "shower 1", "NaN latent");
    caloflow_context_destroy(context);
    expect_error(caloflow_generate(context, energies, 1, seed, 0, one, 504), CALOFLOW_ERROR_INVALID_ARGUMENT, "destroyed",
                 "destroyed context");
    caloflow_model_close(model);
    CHECK(caloflow_model_cell_count(model) == -1, "closed model");

    free(energies); free(cells); free(one); free(threaded); free(reference); free(reference_energy);
    if (failures) {
        fprintf(stderr, "capi_test: %d failures\n", failures);
        return 1;
    }
    printf("capi_test: all checks passed\n");
    return 0;
}
