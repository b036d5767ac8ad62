import Testing
import Foundation
import CaloData
import CaloNN
import CaloTensor
import CaloPipeline
import CaloTestSupport

/// Every way loading or writing a checkpoint can fail gives its own error, naming what is wrong.
@Suite struct CheckpointErrorTests {
    /// A valid checkpoint at `dir/name`.
    func validFile(_ dir: TemporaryDirectory, _ name: String = "c.h5", kind: String = "teacher") throws -> String {
        let path = dir.file(name)
        try sampleCheckpoint(kind: kind).0.write(to: path)
        return path
    }

    @Test func missingFile() {
        #expect { try Checkpoint.read(from: "/nonexistent/dir/c.h5") } throws: { e in
            guard case CheckpointError.fileNotFound = e else { return false }; return true
        }
    }

    @Test func textFileIsNotHDF5() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("config.json")
        try #"{"blocks": 8}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.notHDF5(let p) = e else { return false }
            return p == path && "\(e)".contains("not an HDF5 file")
        }
    }

    @Test func foreignHDF5FileIsRecognised() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("showers.h5")
        let f = try HDF5File(path: path, mode: .create(overwrite: false))
        try f.createDataset("energy", values: [Float](repeating: 1, count: 4), shape: [4, 1])
        try f.close()
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.foreign(_, let found) = e else { return false }
            return found == ["energy"] && "\(e)".contains("not a caloflow checkpoint")
        }
        #expect(throws: CheckpointError.self) { try CheckpointHeader.read(from: path) }
    }

    @Test(arguments: [0.5, 0.9])
    func truncatedCheckpoint(keptFraction: Double) throws {
        let dir = TemporaryDirectory()
        let full = try #require(fileBytes(try validFile(dir)))
        let cut = dir.file("cut.h5")
        try full.prefix(Int(Double(full.count) * keptFraction)).write(to: URL(fileURLWithPath: cut))
        #expect { try Checkpoint.read(from: cut) } throws: { e in
            guard case CheckpointError.truncated = e else { return false }
            return "\(e)".contains("truncated or corrupt")
        }
    }

    @Test func unknownFormatVersion() throws {
        let dir = TemporaryDirectory()
        let path = try validFile(dir)
        let f = try HDF5File(path: path, mode: .readWrite)
        try f.setAttribute(Checkpoint.formatAttribute, .int64(2))
        try f.close()
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.unsupportedVersion(_, let found, let supported) = e else { return false }
            return found == "2" && supported == 1 && "\(e)".contains("newer caloflow")
        }
    }

    @Test func wrongKind() throws {
        let dir = TemporaryDirectory()
        let path = try validFile(dir, kind: "student")
        #expect { try Checkpoint.read(from: path, expectedKind: "teacher") } throws: { e in
            guard case CheckpointError.wrongKind(_, let expected, let found) = e else { return false }
            return expected == "teacher" && found == "student"
        }
    }

    @Test func missingParameterIsNamedAndNothingIsLoaded() throws {
        let dir = TemporaryDirectory()
        let c = try Checkpoint.read(from: try validFile(dir))
        let model = blankParameters() + [Parameter(name: "extra.bias", value: Matrix(rows: 1, cols: 3))]
        #expect { try c.loadParameters(into: model) } throws: { e in
            guard case CheckpointError.missingParameters(_, let names) = e else { return false }
            return names == ["extra.bias"] && "\(e)".contains("extra.bias")
        }
        #expect(model.allSatisfy { $0.value.storage.allSatisfy { $0 == 0 } }, "all-or-nothing: no parameter was changed")
    }

    @Test func extraParameterInFileIsNamed() throws {
        let dir = TemporaryDirectory()
        let c = try Checkpoint.read(from: try validFile(dir))
        #expect { try c.loadParameters(into: Array(blankParameters().prefix(2))) } throws: { e in
            guard case CheckpointError.unexpectedParameters(_, let names) = e else { return false }
            return names == ["out.weight"]
        }
    }

    @Test func wrongShapeNamesBothShapes() throws {
        let dir = TemporaryDirectory()
        let c = try Checkpoint.read(from: try validFile(dir))
        var model = blankParameters()
        model[2] = Parameter(name: "out.weight", value: Matrix(rows: 5, cols: 13))
        #expect { try c.loadParameters(into: model) } throws: { e in
            guard case CheckpointError.shapeMismatch(_, let name, let expected, let found) = e else { return false }
            return name == "out.weight" && expected == [5, 13] && found == [5, 12] && "\(e)".contains("(5, 12)") && "\(e)".contains("(5, 13)")
        }
    }

    @Test func nanParameterInFileIsRejected() throws {
        let dir = TemporaryDirectory()
        let path = try validFile(dir)
        let f = try HDF5File(path: path, mode: .readWrite)
        var values = try f.read("/parameters/made.0.bias", as: Float.self)
        values[3] = .nan
        try f.write("/parameters/made.0.bias", values)
        try f.close()
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.nonFinite(_, let name, let index, _) = e else { return false }
            return name == "made.0.bias" && index == 3
        }
    }

    @Test func nonFiniteParameterIsNotWritten() throws {
        let dir = TemporaryDirectory()
        var c = Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters())
        c.parameters[1].value.storage[0] = -.infinity
        #expect { try c.write(to: dir.file("bad.h5")) } throws: { e in
            guard case CheckpointError.nonFinite(_, let name, 0, _) = e else { return false }
            return name == "made.0.bias"
        }
        #expect(dir.contents.isEmpty, "no temporary file is left behind")
    }

    /// A write that fails halfway (last parameter NaN; or an extra array whose values do not fill
    /// its shape, found by the HDF5 layer) leaves the existing checkpoint byte-identical.
    @Test func failedWriteLeavesExistingCheckpointUntouched() throws {
        let dir = TemporaryDirectory()
        let path = try validFile(dir)
        let before = try #require(fileBytes(path))

        var nan = try sampleCheckpoint().0
        nan.parameters[2].value.storage[59] = .nan
        #expect(throws: CheckpointError.self) { try nan.write(to: path) }

        var badArray = try sampleCheckpoint().0
        badArray.integerArrays["permutations/9"] = .init(shape: [4], values: [1, 2, 3])
        #expect { try badArray.write(to: path) } throws: { e in
            guard case CheckpointError.writeFailed = e else { return false }; return true
        }
        #expect(fileBytes(path) == before)
        #expect(dir.contents == ["c.h5"], "temporary files are removed")
        _ = try Checkpoint.read(from: path)
    }

    @Test func invalidContentIsRefusedBeforeWriting() throws {
        let dir = TemporaryDirectory()
        let base = Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters())
        var slash = base; slash.parameters[0].name = "a/b"
        var twice = base; twice.parameters[1].name = twice.parameters[0].name
        var reserved = base; reserved.jsonAttributes["kind"] = "{}"
        var notJSON = base; notJSON.jsonAttributes["model_config"] = "{blocks: 8"
        var underParameters = base; underParameters.integerArrays["parameters/x"] = .init([1])
        var strayMoments = base
        strayMoments.optimizer = .init(step: 1, moments: ["nope": .init(first: Matrix(rows: 1, cols: 1), second: Matrix(rows: 1, cols: 1))])
        for c in [slash, twice, reserved, notJSON, underParameters, strayMoments] {
            #expect { try c.write(to: dir.file("c.h5")) } throws: { e in
                guard case CheckpointError.invalidContent = e else { return false }; return true
            }
        }
        #expect(dir.contents.isEmpty)
    }

    @Test func corruptRNGStateIsMalformed() throws {
        let dir = TemporaryDirectory()
        let path = try validFile(dir)
        let f = try HDF5File(path: path, mode: .readWrite)
        try f.write("/training/rng/data", [UInt64](repeating: 0, count: 4))
        try f.close()
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.malformed(_, let object, _) = e else { return false }
            return object == "/training/rng/data"
        }
    }
}

@Suite struct CheckpointStructureTests {
    @Test func parameterStoredAsGroupIsMalformed() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("g.h5")
        try Checkpoint(kind: "teacher", appVersion: "x", seed: 1, parameters: sampleParameters()).write(to: path)
        let f = try HDF5File(path: path, mode: .readWrite)
        try f.createGroup("/parameters/zz")
        try f.close()
        #expect { try Checkpoint.read(from: path) } throws: { e in
            guard case CheckpointError.malformed = e else { return false }
            return "\(e)".contains("zz")
        }
    }
}
