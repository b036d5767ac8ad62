/// JSON form of a schedule: a "kind" discriminator plus the case's named fields; fields with
/// defaults may be omitted. Decoding runs `validate()`, so a bad config fails with a message.
extension LearningRateSchedule: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, rate, initialRate, stepSize, gamma, milestones, totalSteps, minimumRate, warmupSteps
        case maxRate, pctStart, divFactor, finalDivFactor
    }

    private enum Kind: String, Codable { case constant, step, multiStep, cosine, oneCycle }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .constant:
            self = .constant(rate: try c.decode(Double.self, forKey: .rate))
        case .step:
            self = .step(initialRate: try c.decode(Double.self, forKey: .initialRate),
                         stepSize: try c.decode(Int.self, forKey: .stepSize),
                         gamma: try c.decodeIfPresent(Double.self, forKey: .gamma) ?? 0.1)
        case .multiStep:
            self = .multiStep(initialRate: try c.decode(Double.self, forKey: .initialRate),
                              milestones: try c.decode([Int].self, forKey: .milestones),
                              gamma: try c.decodeIfPresent(Double.self, forKey: .gamma) ?? 0.1)
        case .cosine:
            self = .cosine(initialRate: try c.decode(Double.self, forKey: .initialRate),
                           totalSteps: try c.decode(Int.self, forKey: .totalSteps),
                           minimumRate: try c.decodeIfPresent(Double.self, forKey: .minimumRate) ?? 0,
                           warmupSteps: try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0)
        case .oneCycle:
            self = .oneCycle(maxRate: try c.decode(Double.self, forKey: .maxRate),
                             totalSteps: try c.decode(Int.self, forKey: .totalSteps),
                             pctStart: try c.decodeIfPresent(Double.self, forKey: .pctStart) ?? 0.3,
                             divFactor: try c.decodeIfPresent(Double.self, forKey: .divFactor) ?? 25,
                             finalDivFactor: try c.decodeIfPresent(Double.self, forKey: .finalDivFactor) ?? 1e4)
        }
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant(let rate):
            try c.encode(Kind.constant, forKey: .kind)
            try c.encode(rate, forKey: .rate)
        case .step(let rate, let size, let gamma):
            try c.encode(Kind.step, forKey: .kind)
            try c.encode(rate, forKey: .initialRate)
            try c.encode(size, forKey: .stepSize)
            try c.encode(gamma, forKey: .gamma)
        case .multiStep(let rate, let milestones, let gamma):
            try c.encode(Kind.multiStep, forKey: .kind)
            try c.encode(rate, forKey: .initialRate)
            try c.encode(milestones, forKey: .milestones)
            try c.encode(gamma, forKey: .gamma)
        case .cosine(let rate, let total, let minimum, let warmup):
            try c.encode(Kind.cosine, forKey: .kind)
            try c.encode(rate, forKey: .initialRate)
            try c.encode(total, forKey: .totalSteps)
            try c.encode(minimum, forKey: .minimumRate)
            try c.encode(warmup, forKey: .warmupSteps)
        case .oneCycle(let rate, let total, let pct, let div, let finalDiv):
            try c.encode(Kind.oneCycle, forKey: .kind)
            try c.encode(rate, forKey: .maxRate)
            try c.encode(total, forKey: .totalSteps)
            try c.encode(pct, forKey: .pctStart)
            try c.encode(div, forKey: .divFactor)
            try c.encode(finalDiv, forKey: .finalDivFactor)
        }
    }
}
