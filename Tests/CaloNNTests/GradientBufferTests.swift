import Testing
import CaloNN
import CaloTensor

/// The flat gradient buffer of data-parallel training: its layout skips masked entries, its sums
/// follow the stated order, and an optimizer step or a clipping from it is the same arithmetic as
/// from the parameters' own gradients.
@Suite("GradientBuffer: layout, ordered sums, Adam and clipping from a buffer")
struct GradientBufferTests {
    /// Two parameters, the first masked (MADE-like): live runs and packed form.
    func parameters(seed: UInt64) -> [Parameter] {
        var rng = Xoshiro256(seed: seed, stream: 1)
        let mask = Matrix(rows: 3, cols: 4, storage: [1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1])
        let a = Parameter(name: "w", value: Matrix.randomNormal(3, 4, rng: &rng), mask: mask)
        let b = Parameter(name: "b", value: Matrix.randomNormal(1, 5, rng: &rng))
        for p in [a, b] {
            p.gradient = Matrix.randomNormal(p.value.rows, p.value.cols, rng: &rng)
            if let m = p.mask { for i in 0..<p.count where m.storage[i] == 0 { p.gradient.storage[i] = 0 } }
        }
        return [a, b]
    }

    @Test func layoutListsLiveRuns() {
        let layout = GradientLayout(parameters(seed: 1))
        #expect(layout.count == 17)
        #expect(layout.liveCount == 6 + 5)
        #expect(layout.liveRuns == [0..<2, 4..<5, 6..<8, 11..<12, 12..<17], "runs end at parameter boundaries")
        #expect(layout.offsets == [0, 12])
    }

    @Test func packUnpackAndOrderedSum() {
        let p = parameters(seed: 2)
        let layout = GradientLayout(p)
        let a = GradientBuffer(layout), b = GradientBuffer(layout), c = GradientBuffer(layout)
        a.copy(from: p)
        b.copy(from: p); b.scale(by: 0.3)
        c.copy(from: p); c.scale(by: -1.7)
        // packedSum over a with sources b, c equals (a + b) + c entry by entry.
        var packed = [Float](repeating: 0, count: layout.liveCount)
        packed.withUnsafeMutableBufferPointer { a.packedSum(0..<layout.liveCount, incoming: nil, sources: [b, c], into: $0.baseAddress!) }
        let reference = GradientBuffer(layout)
        reference.copy(from: p)
        reference.add([b, c])
        let unpacked = GradientBuffer(layout)
        packed.withUnsafeBufferPointer { unpacked.unpack(0..<layout.liveCount, from: $0.baseAddress!) }
        for i in 0..<layout.count {
            #expect(unpacked.base[i].bitPattern == reference.base[i].bitPattern)
            let expected = (a.base[i] + b.base[i]) + c.base[i]
            #expect(reference.base[i].bitPattern == expected.bitPattern)
        }
        // Masked entries stay zero.
        #expect(unpacked.base[2] == 0 && unpacked.base[3] == 0 && unpacked.base[5] == 0)
        var repacked = [Float](repeating: 0, count: layout.liveCount)
        repacked.withUnsafeMutableBufferPointer { unpacked.pack(0..<layout.liveCount, into: $0.baseAddress!) }
        #expect(repacked.map(\.bitPattern) == packed.map(\.bitPattern))
    }

    /// `setSum` is `zero()` then `add`, bit for bit: signed zeros included (0 + (−0) = +0).
    @Test func setSumEqualsZeroThenAdd() {
        let p = parameters(seed: 3)
        let layout = GradientLayout(p)
        let b = GradientBuffer(layout), c = GradientBuffer(layout)
        b.copy(from: p); b.scale(by: -1)
        c.copy(from: p); c.scale(by: 0.5)
        b.base[0] = -0.0; c.base[0] = -0.0
        let reference = GradientBuffer(layout), result = GradientBuffer(layout)
        result.copy(from: p)  // stale contents must not matter
        reference.zero(); reference.add([b, c])
        result.setSum([b, c])
        for i in 0..<layout.count { #expect(result.base[i].bitPattern == reference.base[i].bitPattern) }
        #expect(result.base[0].bitPattern == Float(0).bitPattern)
    }

    @Test func adamAndClippingFromABufferMatchTheParameters() throws {
        let p1 = parameters(seed: 3), p2 = parameters(seed: 3)
        let adam1 = try Adam(parameters: p1, learningRate: 1e-2), adam2 = try Adam(parameters: p2, learningRate: 1e-2)
        let buffer = GradientBuffer(parameters: p2)
        for round in 0..<3 {
            // Fresh gradients each round, the same in both (clipping scales them in place).
            let fresh = parameters(seed: 10 + UInt64(round))
            for (a, f) in zip(p1, fresh) { a.gradient = f.gradient }
            buffer.copy(from: fresh)
            let n1 = clipGradientNorm(p1, maxNorm: 0.5), n2 = clipGradientNorm(buffer, maxNorm: 0.5)
            #expect(n1.bitPattern == n2.bitPattern)
            adam1.step()
            adam2.step(gradients: buffer)
        }
        for (a, b) in zip(p1, p2) {
            #expect(a.value.storage.map(\.bitPattern) == b.value.storage.map(\.bitPattern), "\(a.name)")
        }
    }
}
