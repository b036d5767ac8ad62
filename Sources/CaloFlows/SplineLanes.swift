import CaloTensor
import CSplineKernels

/// The Float spline for groups of eight elements, one element per AVX2 lane: the maps here, the
/// fused backward passes in `SplineLanes+Backward.swift`.
///
/// `SplineKernel` evaluates one element at a time: its bin search, knot selection and
/// divisions are scalar and branchy (`caloflow bench` times it at several times the lanes).
/// The lanes transpose consecutive elements into structure-of-arrays form (raw parameter j of
/// all elements in one vector) and run every step — softmax, search, knot and derivative
/// selection, root, slope, log, and the gradients — as vector operations with selects instead
/// of branches.
///
/// The lane code is C (`CSplineKernels`): clang vector extensions with sixteen elements per
/// vector, which clang runs as two AVX2 registers side by side. One element's map is a long
/// chain of dependent steps, too long for the core to overlap two consecutive groups of eight;
/// two interleaved groups give it independent work. The lanes are C rather than Swift on
/// `SIMD8<Float>` because Swift emits that arithmetic lane by lane and LLVM's vectoriser
/// rebuilds the vectors only in part.
///
/// The arithmetic is `SplineKernel`'s, operation for operation and in the same order, without
/// fused multiply-adds, and the Float elementary functions of the scalar kernel are lane 0 of
/// `VectorMath`'s polynomials, which the C code transcribes; so an element gets bit-identical
/// results whether it goes through a lane or through `SplineKernel` (the sequential teacher
/// sampler and the buffer remainders use the latter). Tests check this for every bin count.
/// Elements outside [−B, B] are computed with garbage bins and then replaced by the identity,
/// exactly as the scalar guard does.
struct SplineLanes {
    /// The scalar kernel: its constants (knot steps and scales, bound, minimum derivative) are
    /// the ones the lanes use, and it maps the elements that do not fill a group of eight.
    let scalar: SplineKernel<Float>

    init(_ spline: RationalQuadraticSpline) { scalar = SplineKernel<Float>(spline) }

    var bins: Int { scalar.bins }

    /// Whether the C kernels serve this spline (their scratch holds up to 16 bins); other
    /// splines run element by element.
    var hasLanes: Bool { (2...16).contains(bins) }

    /// The constants in the C kernels' form.
    var cConstants: caloflow_spline_constants {
        caloflow_spline_constants(bins: Int32(bins), bound: scalar.bound, widthStep: scalar.widthStep,
                                  heightStep: scalar.heightStep, widthScale: scalar.widthScale,
                                  heightScale: scalar.heightScale, minDerivative: scalar.minDerivative)
    }

    /// y = spline(x) (or x = spline⁻¹(y) when `inverse`) and the log-derivative for `count`
    /// elements in the layout of `RationalQuadraticSpline.forward(inputs:params:...)`: whole
    /// groups of eight in the C kernel, the rest through the scalar kernel.
    func map(inverse: Bool, _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>,
             _ y: UnsafeMutablePointer<Float>, _ ld: UnsafeMutablePointer<Float>, count: Int) {
        let k = bins, m = 3 * k - 1
        let groups = hasLanes ? count / 8 : 0
        if groups > 0 {
            var constants = cConstants
            caloflow_spline_map_lanes(&constants, inverse ? 1 : 0, x, p, y, ld, groups)
        }
        let done = groups * 8
        guard done < count else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { s in
            let ew = s.baseAddress!, eh = ew + k
            for i in done..<count {
                (y[i], ld[i]) = inverse
                    ? scalar.inverse(x[i], params: p + i * m, ew: ew, eh: eh)
                    : scalar.forward(x[i], params: p + i * m, ew: ew, eh: eh)
            }
        }
    }
}
