import CaloData
import CaloSimulation
import Glibc

/// The incident-energy options shared by `simulate` and `generate`: at most one of a fixed
/// energy, a uniform range, a list, or a file; otherwise the command's default spectrum.
struct EnergyOptions {
    /// The incident energies the models and the simulator support (GeV).
    static let supportedRange = AllowedRange.between(ShowerValidation.supportedIncidentEnergyGeV.lowerBound,
                                                    ShowerValidation.supportedIncidentEnergyGeV.upperBound)
    static let energy = Option.optionalDouble("energy", defaultLabel: "none", range: supportedRange,
                                              help: "Fixed incident energy in GeV.")
    static let energyRange = Option.doubleList("energy-range", default: [], range: supportedRange, valueName: "lo,hi",
                                               help: "Uniform incident energies in [lo, hi] GeV.")
    static let energies = Option.doubleList("energies", default: [], range: supportedRange, valueName: "e1,e2,...",
                                            help: "Incident energies in GeV, used in order and cycled.")
    static let energiesFrom = Option.optionalPath("energies-from", help: "Take incident energies (GeV) from a file: the 'energy' dataset of an HDF5 shower file, or a text file with one number per line.")
    static let specs: [OptionSpec] = [energy.spec, energyRange.spec, energies.spec, energiesFrom.spec]

    let fixed: Double?
    let range: ClosedRange<Double>?
    let list: [Double]
    let file: String?

    /// Reads and cross-checks the options (usage errors, exit 2).
    init(_ a: ParsedArguments) throws {
        fixed = a[Self.energy]
        list = a[Self.energies]
        file = a[Self.energiesFrom]
        let given = [fixed != nil, a.contains(Self.energyRange), a.contains(Self.energies), file != nil].filter { $0 }.count
        if given > 1 { throw ValidationError("give only one of --energy, --energy-range, --energies and --energies-from") }
        if a.contains(Self.energyRange) {
            let r = a[Self.energyRange]
            guard r.count == 2, r[0] < r[1] else {
                throw ValidationError("--energy-range takes two increasing energies lo,hi in GeV, got \(r.map { String($0) }.joined(separator: ","))")
            }
            range = r[0]...r[1]
        } else {
            range = nil
        }
    }

    /// The spectrum the options ask for, or uniform over `defaultRange`.
    func spectrum(default defaultRange: ClosedRange<Double>) throws -> EnergySpectrum {
        try spectrum(default: .uniform(defaultRange))
    }

    /// The spectrum the options ask for, or `defaultSpectrum`.
    func spectrum(default defaultSpectrum: EnergySpectrum) throws -> EnergySpectrum {
        let s: EnergySpectrum
        if let e = fixed { s = .fixed(e) }
        else if let r = range { s = .uniform(r) }
        else if !list.isEmpty { s = .list(list) }
        else if let f = file { s = .list(try Self.readEnergies(f)) }
        else { s = defaultSpectrum }
        try s.validate()
        return s
    }

    /// Incident energies (GeV) from an HDF5 shower file's `energy` dataset or a text file.
    static func readEnergies(_ path: String) throws -> [Double] {
        guard FileSystem.exists(path) else { throw ValidationError("--energies-from: \(path) does not exist") }
        if (try? HDF5File(path: path, mode: .readOnly)) != nil {
            // Only the energies are read: a file of 40,500-voxel showers need not fit in memory.
            return try ShowerFileReader(path: path).readIncidentEnergies().map(Double.init)
        }
        guard let fp = fopen(path, "r") else { throw ValidationError("--energies-from: cannot read \(path)") }
        defer { fclose(fp) }
        var values = [Double](), lineNumber = 0
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), fp) != nil {
            lineNumber += 1
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let printable = bytes.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (32...126).contains($0) }
            guard printable else {
                throw ValidationError("--energies-from: \(path) is neither an HDF5 shower file nor a text file "
                                      + "(line \(lineNumber) holds binary data); give one number (GeV) per line")
            }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let v = Double(line), v > 0, v.isFinite else {
                let shown = line.count > 40 ? line.prefix(40) + "..." : line
                throw ValidationError("--energies-from: \(path) line \(lineNumber): '\(shown)' is not a positive energy in GeV")
            }
            values.append(v)
        }
        guard !values.isEmpty else { throw ValidationError("--energies-from: \(path) holds no energies") }
        return values
    }
}
