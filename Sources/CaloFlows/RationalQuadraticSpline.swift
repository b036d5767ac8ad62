/// The monotone rational-quadratic spline with linear tails (Durkan et al. 2019, "Neural Spline
/// Flows", arXiv:1906.04032), with the parameterisation of nflows v0.14
/// (`unconstrained_rational_quadratic_spline`, `tails="linear"`).
///
/// Each element x has its own spline, given by 3K − 1 raw (unconstrained) numbers, laid out per
/// element exactly as nflows' MADE emits them:
///
///     [ŵ_0 … ŵ_{K−1} | ĥ_0 … ĥ_{K−1} | d̂_1 … d̂_{K−1}]      (parameterCount = 3K − 1)
///
/// - widths  w_j = m_w + (1 − K m_w) softmax(ŵ)_j, knots x_k = −B + 2B Σ_{j<k} w_j with x_0 = −B and
///   x_K = +B forced exactly; heights and y-knots likewise with m_h;
/// - derivatives at the interior knots d_k = m_d + softplus(d̂_k); d_0 = d_K = 1 exactly (nflows pads
///   with ln(e^{1−m_d} − 1), which is the same), so the spline joins the identity tails with slope 1;
/// - bin k of x: the number of knots ≤ x, minus 1, with the last knot nudged up by 1e-6 (so x = B
///   falls in the last bin; the inverse searches the y-knots);
/// - inside [−B, B], with θ = (x − x_k)/w_k and s_k = h_k/w_k:
///   y = y_k + h_k [s_k θ² + d_k θ(1−θ)] / [s_k + (d_k + d_{k+1} − 2 s_k) θ(1−θ)],
///   dy/dx = s_k² [d_{k+1} θ² + 2 s_k θ(1−θ) + d_k (1−θ)²] / [denominator]²;
/// - strictly outside [−B, B]: identity with log-derivative 0 (NaN inputs pass through as NaN).
///
/// All entry points work on raw buffers of `count` elements (count = rows × features for a batch),
/// element i reading `params[i·(3K−1) ..< (i+1)·(3K−1)]`. They are pure functions of their
/// arguments with no shared state, so callers may split rows over `Parallel.forEachChunk` and pass
/// offset pointers. Outputs may not alias inputs or parameters.
///
/// Float (production) and Double (reference, used for finite-difference tests) overloads run the
/// same generic kernel. Compared with a literal transcription of nflows, the kernel evaluates
/// 1 − θ, the denominator and the inverse's quadratic root in cancellation-free forms (see
/// `SplineKernel`), so knots are hit exactly and the inverse stays accurate near both bin ends.
public struct RationalQuadraticSpline: Sendable, Equatable {
    /// Number of bins K.
    public let bins: Int
    /// Tail bound B: the spline maps [−B, B] onto itself, identity outside.
    public let tailBound: Double
    public let minBinWidth: Double
    public let minBinHeight: Double
    public let minDerivative: Double

    /// Raw numbers per element, 3K − 1 (K widths, K heights, K − 1 interior derivatives).
    public static func parameterCount(bins: Int) -> Int { 3 * bins - 1 }

    /// Raw numbers per element for this spline, 3K − 1.
    public var parameterCount: Int { Self.parameterCount(bins: bins) }

    /// The configuration error a user can trigger (bins, bound or minimums out of range).
    public struct ConfigurationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Defaults are the CaloFlow settings: 8 bins, tail bound 14, minimums 1e-6.
    /// - Throws: `ConfigurationError` unless bins ≥ 1, B > 0 finite, 0 ≤ K·m_w < 1, 0 ≤ K·m_h < 1,
    ///   0 ≤ m_d < 1 (nflows requires the same).
    public init(bins: Int = 8, tailBound: Double = 14, minBinWidth: Double = 1e-6,
                minBinHeight: Double = 1e-6, minDerivative: Double = 1e-6) throws {
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(description: "rational-quadratic spline: \(message)")
        }
        guard bins >= 1 else { throw fail("bins must be at least 1, got \(bins)") }
        guard tailBound > 0, tailBound.isFinite else {
            throw fail("tail bound must be positive and finite, got \(tailBound)")
        }
        guard minBinWidth >= 0, Double(bins) * minBinWidth < 1 else {
            throw fail("minimal bin width \(minBinWidth) too large for \(bins) bins (need bins × width < 1)")
        }
        guard minBinHeight >= 0, Double(bins) * minBinHeight < 1 else {
            throw fail("minimal bin height \(minBinHeight) too large for \(bins) bins (need bins × height < 1)")
        }
        guard minDerivative >= 0, minDerivative < 1 else {
            throw fail("minimal derivative must be in [0, 1), got \(minDerivative)")
        }
        self.bins = bins
        self.tailBound = tailBound
        self.minBinWidth = minBinWidth
        self.minBinHeight = minBinHeight
        self.minDerivative = minDerivative
    }

    /// The CaloFlow setting (K = 8, B = 14, minimums 1e-6).
    public static let caloFlow = try! RationalQuadraticSpline()
}
