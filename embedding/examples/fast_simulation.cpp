// A stand-in for a Geant4 fast-simulation model (G4VFastSimulationModel) that calls libcaloflow
// shower by shower, the way Geant4 hands particles to DoIt one at a time: IsApplicable checks
// the particle, ModelTrigger the energy range, DoIt generates one shower and deposits its cells
// as hits (here into a std::vector). Worker threads share one caloflow_model and own one
// caloflow_context each, as G4 worker threads would (thread_local).
//   fast_simulation RUN_DIR [PARTICLES_PER_THREAD] [THREADS]
#include "caloflow.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

void check(int status, const char *what) {
    if (status != CALOFLOW_OK)
        throw std::runtime_error(std::string(what) + ": " + caloflow_status_name(status) + ": " + caloflow_last_error());
}

/// What Geant4 would give DoIt (G4FastTrack): particle, kinetic energy (MeV), position.
struct Particle {
    int pdg;
    double energyMeV;
};

/// What G4FastHitMaker::make would receive: a position and an energy.
struct Hit {
    double x, y;  // mm, readout frame centred on the particle's axis
    int layer;
    double energyMeV;
};

/// The shared, read-only part: the model and the cell positions (from the geometry query).
class CaloflowShared {
public:
    explicit CaloflowShared(const char *run) {
        check(caloflow_model_open(run, CALOFLOW_PRECISION_FLOAT32, CALOFLOW_MODEL_THRESHOLD, &model_), "open");
        check(caloflow_model_energy_range(model_, &minMeV_, &maxMeV_), "energy range");
        cells_ = caloflow_model_cell_count(model_);
        positions_.resize(cells_);
        for (int c = 0; c < cells_; c++)
            check(caloflow_model_cell_center(model_, c, &positions_[c].layer, &positions_[c].x, &positions_[c].y), "cell");
    }
    ~CaloflowShared() { caloflow_model_close(model_); }
    CaloflowShared(const CaloflowShared &) = delete;
    CaloflowShared &operator=(const CaloflowShared &) = delete;

    caloflow_model *model_ = nullptr;
    double minMeV_ = 0, maxMeV_ = 0;
    int cells_ = 0;
    struct Position { int layer; double x, y; };
    std::vector<Position> positions_;
};

/// One worker thread's model: the G4VFastSimulationModel methods, with its own context.
class CaloflowFastSimModel {
public:
    CaloflowFastSimModel(const CaloflowShared &shared, uint64_t seed) : shared_(shared), seed_(seed) {
        check(caloflow_context_create(shared.model_, 1, &context_), "context");
        cells_.resize(shared.cells_);
    }
    ~CaloflowFastSimModel() { caloflow_context_destroy(context_); }

    bool IsApplicable(int pdg) const { return pdg == 11 || pdg == -11 || pdg == 22; }  // e-, e+, gamma
    bool ModelTrigger(const Particle &p) const { return p.energyMeV >= shared_.minMeV_ && p.energyMeV <= shared_.maxMeV_; }

    /// Kills the particle (not modelled here) and deposits its shower. `showerIndex` makes the
    /// shower reproducible: in Geant4, derive it from the event and track numbers.
    void DoIt(const Particle &p, uint64_t showerIndex, std::vector<Hit> &hits) {
        check(caloflow_generate(context_, &p.energyMeV, 1, seed_, showerIndex, cells_.data(), cells_.size()), "generate");
        for (int c = 0; c < shared_.cells_; c++) {
            if (cells_[c] <= 0) continue;
            const auto &pos = shared_.positions_[c];
            hits.push_back({pos.x, pos.y, pos.layer, cells_[c]});
        }
    }

private:
    const CaloflowShared &shared_;
    uint64_t seed_;
    caloflow_context *context_ = nullptr;
    std::vector<float> cells_;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s RUN_DIR [PARTICLES_PER_THREAD] [THREADS]\n", argv[0]);
        return 2;
    }
    const int perThread = argc > 2 ? std::atoi(argv[2]) : 200;
    const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
    try {
        CaloflowShared shared(argv[1]);
        std::vector<double> deposited(threads, 0.0), incident(threads, 0.0);
        std::vector<size_t> hitCounts(threads, 0);
        std::vector<std::string> errors(threads);
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++) {
            pool.emplace_back([&, t] {
                try {
                    CaloflowFastSimModel model(shared, /*seed*/ 2024);
                    std::mt19937_64 rng(1000 + t);
                    std::uniform_real_distribution<double> energy(500, 120000);  // MeV, partly outside the range
                    std::vector<Hit> hits;
                    for (int i = 0; i < perThread; i++) {
                        const Particle p{i % 5 == 4 ? 211 : 11, energy(rng)};
                        if (!model.IsApplicable(p.pdg) || !model.ModelTrigger(p)) continue;  // full simulation instead
                        hits.clear();
                        model.DoIt(p, uint64_t(t) * perThread + i, hits);
                        for (const Hit &h : hits) deposited[t] += h.energyMeV;
                        incident[t] += p.energyMeV;
                        hitCounts[t] += hits.size();
                    }
                } catch (const std::exception &e) {
                    errors[t] = e.what();
                }
            });
        }
        for (auto &th : pool) th.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (int t = 0; t < threads; t++)
            if (!errors[t].empty()) throw std::runtime_error("thread " + std::to_string(t) + ": " + errors[t]);
        double dep = 0, inc = 0;
        size_t hits = 0;
        for (int t = 0; t < threads; t++) { dep += deposited[t]; inc += incident[t]; hits += hitCounts[t]; }
        std::printf("%d threads x %d particles in %.3f s: %zu hits, deposited %.1f GeV of %.1f GeV incident (%.3f)\n",
                    threads, perThread, seconds, hits, dep / 1000, inc / 1000, inc > 0 ? dep / inc : 0.0);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "fast_simulation: %s\n", e.what());
        return 1;
    }
    return 0;
}
