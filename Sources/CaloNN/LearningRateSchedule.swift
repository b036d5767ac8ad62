import Glibc

/// A learning-rate schedule as a value: described by a few numbers, Codable into a JSON config,
/// evaluated with `learningRate(at:)`. The caller decides whether the argument counts epochs
/// (CaloFlow's MultiStepLR) or optimizer steps (one-cycle, cosine with warmup); the formulas
/// match PyTorch's schedulers evaluated after `step` calls of `scheduler.step()`.
///
/// JSON form: `{"kind": "multiStep", "initialRate": 1e-4, "milestones": [5, 15, 40, 60], "gamma": 0.5}`;
/// omitted optional fields take the defaults below. Decoding validates the values.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The same rate at every step.
    case constant(rate: Double)
    /// `initialRate · gamma^⌊step / stepSize⌋` (PyTorch StepLR).
    case step(initialRate: Double, stepSize: Int, gamma: Double = 0.1)
    /// `initialRate · gamma^(number of milestones ≤ step)` (PyTorch MultiStepLR).
    case multiStep(initialRate: Double, milestones: [Int], gamma: Double = 0.1)
    /// Linear warmup to `initialRate` over `warmupSteps` (rate·(step + 1)/warmupSteps, never 0),
    /// then half-cosine decay to `minimumRate` at `totalSteps`, constant afterwards.
    case cosine(initialRate: Double, totalSteps: Int, minimumRate: Double = 0, warmupSteps: Int = 0)
    /// PyTorch OneCycleLR (two phases, cosine annealing): from maxRate/divFactor up to maxRate
    /// over the first `pctStart` of `totalSteps`, then down to maxRate/(divFactor·finalDivFactor)
    /// at step totalSteps − 1. Steps past the end keep the final rate.
    case oneCycle(maxRate: Double, totalSteps: Int, pctStart: Double = 0.3, divFactor: Double = 25,
                  finalDivFactor: Double = 1e4)

    // MARK: - CaloFlow settings (per epoch)

    /// Flow I: Adam lr 1e-4, ×0.5 at epochs 5, 15, 40, 60.
    public static func caloFlowFlowI(initialRate: Double = 1e-4) -> Self {
        .multiStep(initialRate: initialRate, milestones: [5, 15, 40, 60], gamma: 0.5)
    }
    /// Flow II teacher: lr 1e-4, ×0.5 at epoch 50.
    public static func caloFlowTeacher(initialRate: Double = 1e-4) -> Self {
        .multiStep(initialRate: initialRate, milestones: [50], gamma: 0.5)
    }
    /// Flow II student: lr 1e-4, ×0.5 at epochs 10, 40, 70.
    public static func caloFlowStudent(initialRate: Double = 1e-4) -> Self {
        .multiStep(initialRate: initialRate, milestones: [10, 40, 70], gamma: 0.5)
    }

    // MARK: - Evaluation

    /// The learning rate after `step` scheduler steps (epochs or iterations); negative steps count as 0.
    public func learningRate(at step: Int) -> Double {
        let s = max(0, step)
        switch self {
        case .constant(let rate):
            return rate
        case .step(let rate, let size, let gamma):
            return rate * pow(gamma, Double(s / max(1, size)))
        case .multiStep(let rate, let milestones, let gamma):
            return rate * pow(gamma, Double(milestones.filter { $0 <= s }.count))
        case .cosine(let rate, let total, let minimum, let warmup):
            if s < warmup { return rate * Double(s + 1) / Double(warmup) }
            let progress = min(1, Double(s - warmup) / Double(max(1, total - warmup)))
            return minimum + (rate - minimum) * 0.5 * (1 + cos(Double.pi * progress))
        case .oneCycle(let maxRate, let total, let pctStart, let div, let finalDiv):
            let initial = maxRate / div, final = initial / finalDiv
            let s = Double(min(s, max(0, total - 1)))
            let end1 = pctStart * Double(total) - 1, end2 = Double(total - 1)
            if s <= end1 { return cosineAnneal(from: initial, to: maxRate, fraction: end1 > 0 ? s / end1 : 1) }
            return cosineAnneal(from: maxRate, to: final, fraction: (s - end1) / (end2 - end1))
        }
    }

    private func cosineAnneal(from start: Double, to end: Double, fraction: Double) -> Double {
        end + (start - end) / 2 * (cos(Double.pi * fraction) + 1)
    }

    // MARK: - Validation

    /// Checks the values a config could get wrong.
    /// - Throws: `NNError.invalidHyperparameter` naming the field and its valid range.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw NNError.invalidHyperparameter(message()) }
        }
        func rate(_ r: Double, _ name: String) throws { try require(r >= 0 && r.isFinite, "\(name) must be finite and ≥ 0, got \(r)") }
        switch self {
        case .constant(let r):
            try rate(r, "rate")
        case .step(let r, let size, let gamma):
            try rate(r, "initialRate")
            try require(size >= 1, "stepSize must be ≥ 1, got \(size)")
            try require(gamma > 0 && gamma.isFinite, "gamma must be > 0, got \(gamma)")
        case .multiStep(let r, let milestones, let gamma):
            try rate(r, "initialRate")
            try require(milestones.allSatisfy { $0 >= 0 }, "milestones must be ≥ 0, got \(milestones)")
            try require(gamma > 0 && gamma.isFinite, "gamma must be > 0, got \(gamma)")
        case .cosine(let r, let total, let minimum, let warmup):
            try rate(r, "initialRate")
            try rate(minimum, "minimumRate")
            try require(total >= 1, "totalSteps must be ≥ 1, got \(total)")
            try require(warmup >= 0 && warmup <= total, "warmupSteps must be in 0...totalSteps (\(total)), got \(warmup)")
        case .oneCycle(let r, let total, let pct, let div, let finalDiv):
            try rate(r, "maxRate")
            try require(total >= 1, "totalSteps must be ≥ 1, got \(total)")
            try require(pct > 0 && pct < 1, "pctStart must be in (0, 1), got \(pct)")
            try require(div > 0 && div.isFinite, "divFactor must be > 0, got \(div)")
            try require(finalDiv > 0 && finalDiv.isFinite, "finalDivFactor must be > 0, got \(finalDiv)")
        }
    }
}
