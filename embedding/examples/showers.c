/*
 * Generates a few showers with libcaloflow and prints their layer energies.
 *   showers RUN_DIR [ENERGY_GEV ...]
 * Build: see README "Embedding" (cc showers.c -I<include> -L<lib> -lcaloflow -Wl,-rpath,<lib>).
 */
#include "caloflow.h"
#include <stdio.h>
#include <stdlib.h>

/* Prints the failed call's status and message and exits. */
static void check(int status, const char *what) {
    if (status != CALOFLOW_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, caloflow_status_name(status), caloflow_last_error());
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s RUN_DIR [ENERGY_GEV ...]\n", argv[0]);
        return 2;
    }
    caloflow_model *model = NULL;
    check(caloflow_model_open(argv[1], CALOFLOW_PRECISION_FLOAT32, CALOFLOW_MODEL_THRESHOLD, &model), "open");
    printf("%s\n", caloflow_model_describe(model));
    /* CaloGAN (504 cells, 3 layers) or CaloChallenge dataset 1 (368 / 533 cells, 5 / 7 layers). */
    printf("geometry %s: %d cells in %d layers\n", caloflow_model_geometry(model), caloflow_model_cell_count(model),
           caloflow_model_layer_count(model));

    enum { MAX = 16 };
    double energies_mev[MAX];
    size_t n = 0;
    for (int i = 2; i < argc && n < MAX; i++) energies_mev[n++] = 1000.0 * atof(argv[i]); /* GeV -> MeV */
    if (n == 0) {
        const double defaults[] = {5, 20, 50, 90};
        for (; n < 4; n++) energies_mev[n] = 1000.0 * defaults[n];
    }

    caloflow_context *context = NULL;
    check(caloflow_context_create(model, (int)n, &context), "context");
    const int cells = caloflow_model_cell_count(model);
    float *showers = malloc(sizeof(float) * (size_t)cells * n);
    check(caloflow_generate(context, energies_mev, n, /*seed*/ 42, /*first shower*/ 0, showers, (size_t)cells * n), "generate");

    const int layers = caloflow_model_layer_count(model);
    for (size_t s = 0; s < n; s++) {
        printf("shower %zu, E_inc %.1f GeV:", s, energies_mev[s] / 1000);
        double total = 0;
        for (int l = 0; l < layers; l++) {
            /* nx * ny cells from first (a polar layer: alpha bins x radial bins). */
            int first = 0, nx = 0, ny = 0;
            check(caloflow_model_layer(model, l, &first, &nx, &ny, NULL, NULL, NULL, NULL), "layer");
            double e = 0;
            for (int c = first; c < first + nx * ny; c++) e += showers[s * (size_t)cells + (size_t)c];
            printf("  layer %d %8.1f MeV", l, e);
            total += e;
        }
        printf("  total %8.1f MeV (%.3f of E_inc)\n", total, total / energies_mev[s]);
    }

    /* A refused call: an energy outside the training range. */
    double too_high = 5e6;
    int status = caloflow_generate(context, &too_high, 1, 42, 0, showers, (size_t)cells);
    printf("5 TeV: %s: %s\n", caloflow_status_name(status), caloflow_last_error());

    free(showers);
    caloflow_context_destroy(context);
    caloflow_model_close(model);
    return 0;
}
