/*
 * caloflow.h: the C interface of libcaloflow, caloflow's embedding library.
 *
 * A trained caloflow run (Flow I + the distilled student) generates calorimeter showers one
 * call at a time from C, C++ (a Geant4 fast-simulation model), Python (ctypes) or any
 * language with a C FFI. Showers are those of `caloflow generate` for the same run, seed and
 * incident energies (equal to float rounding; see caloflow_generate).
 *
 * Geometries: a run of any geometry the CaloFlow pipeline trains opens: CaloGAN (504 cells in
 * 3 layers), CaloChallenge dataset 1 photons (368 cells, 5 layers) and pions (533 cells,
 * 7 layers), and CaloChallenge-style binning files of up to 2048 cells in at least 2 layers.
 * Runs of CaloChallenge datasets 2 and 3 (6480 / 40500 cells; layer-by-layer flows) are refused
 * by caloflow_model_open with CALOFLOW_ERROR_BAD_MODEL and a message naming the geometry. Ask
 * the model for its layout: caloflow_model_geometry, _cell_count, _layer_count,
 * _layer_cell_count, _layer, _layer_segmentation, _layer_radial_edges, _cell_center.
 *
 * Units: incident energies in MeV (double), cell energies in MeV (float). The cells of a shower
 * come in the file format's order, layer after layer; inside layer l, cell = first_cell + ix * ny
 * + iy (caloflow_model_layer): CaloGAN layer_0 (3 x 96), layer_1 (12 x 12), layer_2 (12 x 6),
 * each row-major; on a polar (CaloChallenge) layer ix is the alpha bin and iy the radial bin
 * (the CaloChallenge order, alpha-major then radius).
 *
 * Errors: every function that can fail returns a caloflow_status (0 = CALOFLOW_OK); the
 * message of the last failure on the calling thread is caloflow_last_error(). The library
 * never aborts the host on bad input (missing or foreign run directory, NaN or out-of-range
 * energy, small buffer, NULL pointer, closed handle).
 *
 * Threads: a caloflow_model is read-only once open and may be shared by any number of threads.
 * A caloflow_context holds one thread's scratch buffers; use it from one thread at a time (a
 * call that finds it in use returns CALOFLOW_ERROR_BUSY). Create one context per thread (in
 * Geant4: per worker thread). Calls start no threads and allocate no memory; the library never
 * calls BLAS while generating (OpenBLAS is loaded, but its thread count is left alone).
 */
#ifndef CALOFLOW_H
#define CALOFLOW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The ABI this header describes; caloflow_abi_version() returns the library's. Versions only add
 * functions: a program built against version N runs with a library whose caloflow_abi_version()
 * is >= N. Version 2 added the functions marked "(ABI 2)" and models of dataset 1.
 */
#define CALOFLOW_ABI_VERSION 2

/** Status codes. */
typedef enum caloflow_status {
    CALOFLOW_OK = 0,
    CALOFLOW_ERROR_INVALID_ARGUMENT = 1, /**< NULL pointer, bad count/size/option, closed or wrong handle */
    CALOFLOW_ERROR_NOT_FOUND = 2,        /**< no run directory, or a checkpoint it needs is missing */
    CALOFLOW_ERROR_BAD_MODEL = 3,        /**< unreadable, truncated, foreign or mismatched checkpoint */
    CALOFLOW_ERROR_ENERGY = 4,           /**< incident energy NaN, infinite, <= 0 or outside the training range */
    CALOFLOW_ERROR_BUFFER_TOO_SMALL = 5, /**< output (or latent) capacity below what the request needs */
    CALOFLOW_ERROR_LATENT = 6,           /**< a caller-supplied latent value is not finite */
    CALOFLOW_ERROR_BUSY = 7,             /**< the context is in use by another thread */
    CALOFLOW_ERROR_OUT_OF_MEMORY = 8,    /**< the model or a context could not be allocated */
    CALOFLOW_ERROR_INTERNAL = 9          /**< a bug: please report it with the message */
} caloflow_status;

/** Weight storage (caloflow_model_open). */
typedef enum caloflow_precision {
    CALOFLOW_PRECISION_FLOAT32 = 0, /**< the trained weights; showers equal `caloflow generate`'s */
    CALOFLOW_PRECISION_FLOAT16 = 1  /**< opt-in: half the memory traffic (faster at batch 1), weights rounded to binary16 */
} caloflow_precision;

/** How a layer is cut into cells (caloflow_model_layer_segmentation; ABI 2). */
typedef enum caloflow_segmentation {
    CALOFLOW_SEGMENTATION_GRID = 0, /**< Cartesian nx x ny cells of fixed size (CaloGAN) */
    CALOFLOW_SEGMENTATION_POLAR = 1 /**< radial bins x alpha bins uniform over [-pi, pi) (CaloChallenge) */
} caloflow_segmentation;

/** threshold_mev of caloflow_model_open: keep the model's threshold. */
#define CALOFLOW_MODEL_THRESHOLD (-1.0)

/** Opaque handles. */
typedef struct caloflow_model caloflow_model;
typedef struct caloflow_context caloflow_context;

/* ---- Library ---------------------------------------------------------------------------- */

/** The library's ABI version (compare with CALOFLOW_ABI_VERSION). */
int caloflow_abi_version(void);
/** caloflow's version string (static storage). */
const char *caloflow_version(void);
/** The compute kernel in use (static storage), e.g. "avx2-fma (x86-64-v3), ...". */
const char *caloflow_kernel(void);
/** A short name of a status code ("CALOFLOW_ERROR_ENERGY"; static storage). */
const char *caloflow_status_name(int status);
/** The message of the last failed call on this thread ("" if none); valid until the next failing call on this thread. */
const char *caloflow_last_error(void);

/* ---- Model (read-only, shared) ---------------------------------------------------------- */

/**
 * Opens run_directory/flow1-best.h5 and run_directory/student-best.h5.
 * precision: a caloflow_precision. threshold_mev: cells below it are set to 0 (MeV, 0..1e5), or
 * CALOFLOW_MODEL_THRESHOLD for the model's (0.01 MeV by default). On success *model is set.
 * Opening reads and packs the weights (the paper's student: about 0.1 GB, a second or two).
 * A run of a geometry the library does not generate (datasets 2 and 3) is refused with
 * CALOFLOW_ERROR_BAD_MODEL naming the geometry, before any weight is read.
 */
int caloflow_model_open(const char *run_directory, int precision, double threshold_mev, caloflow_model **model);
/** Releases the caller's reference; contexts still alive keep the model until they are destroyed. NULL is ignored. */
void caloflow_model_close(caloflow_model *model);

/** Cells per shower (CaloGAN 504, dataset 1 photons 368, pions 533), or -1 for an invalid handle. */
int caloflow_model_cell_count(const caloflow_model *model);
/**
 * Standard-normal values per shower for caloflow_generate_from_latent: one per layer for Flow I
 * plus one per cell for the student (CaloGAN 3 + 504 = 507; dataset 1 photons 5 + 368 = 373,
 * pions 7 + 533 = 540), or -1.
 */
int caloflow_model_latent_size(const caloflow_model *model);
/** The incident energies the model was trained on, MeV (ModelTrigger should accept only these). */
int caloflow_model_energy_range(const caloflow_model *model, double *min_mev, double *max_mev);
/** Cells below this energy (MeV) are set to 0; -1 for an invalid handle. */
double caloflow_model_threshold(const caloflow_model *model);
/** Longitudinal layers with cells (CaloGAN 3, dataset 1 photons 5, pions 7), or -1. */
int caloflow_model_layer_count(const caloflow_model *model);
/**
 * Layer layout (layer 0 .. layer_count - 1): its first cell index, nx and ny with
 * cell = first_cell + ix * ny + iy (ix < nx, iy < ny; the layer has nx * ny cells), the cell
 * sizes in mm and the layer's depth range in mm from the calorimeter's front face.
 * Grid layers (CaloGAN): cells along x (first array axis) and y (second axis), the readout
 * spans -240..240 mm in x and y, depths 0-90, 90-437, 437-480 mm.
 * Polar layers (CaloChallenge): nx = alpha bins, ny = radial bins (caloflow_model_layer_radial_edges);
 * the cell sizes are 0 (bins have no single size) and the depths NaN (the binning files do not state them).
 * Any output pointer may be NULL.
 */
int caloflow_model_layer(const caloflow_model *model, int layer, int *first_cell, int *nx, int *ny,
                         double *cell_size_x_mm, double *cell_size_y_mm, double *depth_begin_mm, double *depth_end_mm);
/**
 * Layer and cell centre (mm, readout frame centred on the shower axis) of cell 0 .. cell_count - 1.
 * Polar layers: x = r cos(alpha), y = r sin(alpha) of the bin's middle radius and angle (the
 * CaloChallenge's convention). Outputs may be NULL.
 */
int caloflow_model_cell_center(const caloflow_model *model, int cell, int *layer, double *x_mm, double *y_mm);
/** (ABI 2) The geometry's name ("calogan", "ds1-photons", "ds1-pions", or a binning file's name); owned by the model, NULL for an invalid handle. */
const char *caloflow_model_geometry(const caloflow_model *model);
/** (ABI 2) Cells of one layer (dataset 1 pions: 8, 100, 100, 5, 150, 160, 10), or -1 (invalid handle or layer). */
int caloflow_model_layer_cell_count(const caloflow_model *model, int layer);
/** (ABI 2) The detector layer number of a layer (CaloGAN 0, 1, 2; dataset 1 photons 0, 1, 2, 3, 12), or -1. */
int caloflow_model_layer_id(const caloflow_model *model, int layer);
/** (ABI 2) A caloflow_segmentation: CALOFLOW_SEGMENTATION_GRID or _POLAR; -1 for an invalid handle or layer. */
int caloflow_model_layer_segmentation(const caloflow_model *model, int layer);
/**
 * (ABI 2) The radial bin edges (mm from the shower axis, ascending; radial bins + 1 values) of a
 * polar layer into edges_mm[0 .. capacity). *edge_count (may be NULL) is set to the number of
 * edges whenever the layer is polar, so edges_mm = NULL with capacity 0 asks for the size.
 * CALOFLOW_ERROR_BUFFER_TOO_SMALL when capacity is short; CALOFLOW_ERROR_INVALID_ARGUMENT for a grid layer.
 */
int caloflow_model_layer_radial_edges(const caloflow_model *model, int layer, double *edges_mm, size_t capacity,
                                      size_t *edge_count);
/** The particle the model was trained on ("eplus", "gamma", "piplus", or a CaloChallenge file's label); owned by the model. */
const char *caloflow_model_particle(const caloflow_model *model);
/** A few lines describing the model (source, energies, architecture, precision, bytes per call); owned by the model. */
const char *caloflow_model_describe(const caloflow_model *model);

/* ---- Context (one per thread) ----------------------------------------------------------- */

/**
 * Scratch for passes of up to max_batch showers (1..4096); larger requests run in several
 * passes with the same showers. Scratch for the paper's CaloGAN student: 65 kB at max_batch 1,
 * 1.4 MB at 100, 13 MB at 1000 (the shared model holds the weights: 104 MB in float32, 52 MB in
 * float16; dataset 1 pions about 116 MB in float32).
 */
int caloflow_context_create(const caloflow_model *model, int max_batch, caloflow_context **context);
/** Frees a context (not while another thread uses it). NULL is ignored. */
void caloflow_context_destroy(caloflow_context *context);

/* ---- Generation ------------------------------------------------------------------------- */

/**
 * count showers for incident_energy_mev[0..count) into cells_mev (capacity floats, at least
 * caloflow_model_cell_count() * count): shower k uses the random stream of shower first_shower + k of
 * `caloflow generate --seed seed`, so it equals that command's shower first_shower + k for the
 * same energy (to float rounding: relative differences around 1e-5, and a cell within rounding
 * of the threshold may be 0 in one of them). A shower does not depend on the other showers of
 * the call, on max_batch or on the thread. All energies are checked before anything is
 * written; on error cells_mev is untouched. Every written value is finite and >= 0.
 */
int caloflow_generate(caloflow_context *context, const double *incident_energy_mev, size_t count,
                      uint64_t seed, uint64_t first_shower, float *cells_mev, size_t capacity);

/**
 * As caloflow_generate, with the latent codes supplied by the caller (for example drawn with
 * CLHEP::RandGauss::shootArray, so the host's random engine decides reproducibility):
 * latent holds caloflow_model_latent_size() standard-normal floats per shower (Flow I's 3
 * first (one per layer), then the student's (one per cell)), latent_capacity floats in all.
 */
int caloflow_generate_from_latent(caloflow_context *context, const double *incident_energy_mev, size_t count,
                                  const float *latent, size_t latent_capacity, float *cells_mev, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* CALOFLOW_H */
