import CaloData
import CaloPipeline

/// `caloflow info FILE`: what a shower file holds, or the validation error that stops it.
public struct InfoCommand: Command {
    public static let name = "info"
    public static let abstract = "Describe a shower file, a checkpoint, a run directory or a geometry, or say what is wrong with it."
    public static let discussion = """
        Validates the layout (CaloGAN, or the flat CaloChallenge-style incident_energies + \
        showers; dataset names, shapes, event counts, dtypes) and every \
        value (finite, non-negative), then prints the geometry (its layers with their binning \
        and voxel count), the events, datasets with their storage, units, particle, generator \
        and seed, the incident-energy range, and per-layer energy sums (mean, spread and share \
        of the cell energy). A flat file's geometry is the one it records, else the one its \
        voxel count names (504 calogan, 368 ds1-photons, 533 ds1-pions, 6480 ds2, 40500 ds3), \
        or --geometry. The file is read in batches (a few hundred showers of 40,500 voxels), so \
        files of any size fit. Exits 1 with a message naming the file, dataset and event when \
        the file is not valid. For a caloflow checkpoint it prints the kind, model, geometry, \
        preprocessing, training data and training progress; for a run directory its geometry, \
        checkpoints and the last metrics of each stage. A checkpoint or run directory gets the \
        same checks generate makes before sampling, and info exits 1 with the reason when one \
        fails. Given a geometry name or a binning file (.xml) it describes that geometry.
        """
    static let file = PositionalSpec("file", help: "Shower file (HDF5, CaloGAN or flat layout), checkpoint (.h5), run directory, geometry name or binning file (.xml).")
    static let maxEvents = Option.optionalInt("max-events", defaultLabel: "all", range: 1..., help: "Summarise only the first N events.")
    public static let options: [OptionSpec] = [maxEvents.spec, GeometryOption.option.spec]
    public static let positionals = [file]
    public static let examples = ["info datasets/eplus.h5", "info eplus.hdf5 --max-events 10000", "info runs/eplus",
                                  "info runs/eplus/teacher-best.h5", "info dataset_2_1.hdf5", "info ds1-photons",
                                  "info my-showers.h5 --geometry my-binning.xml"]

    let path: String
    let limit: Int?
    let geometry: GeometryOption

    public init(_ arguments: ParsedArguments) throws {
        path = arguments.value(Self.file) ?? ""
        limit = arguments[Self.maxEvents]
        geometry = try GeometryOption(arguments)
    }

    public func run(_ context: CommandContext) throws {
        // A geometry by name or binning file (a name only when no such file exists).
        if path.lowercased().hasSuffix(".xml") || (!FileSystem.exists(path) && CalorimeterGeometry.named(path) != nil) {
            let g = try CalorimeterGeometry.resolve(path)
            context.console.output.write(g.summaryLines.joined(separator: "\n") + "\n")
            return
        }
        // A bare word that is neither a file nor a geometry: most likely a mistyped geometry name.
        if !FileSystem.exists(path), !path.contains("/"), !path.contains("."), let guess = CalorimeterGeometry.closestName(to: path) {
            throw ValidationError("\(path): no such file, nor a geometry name (did you mean '\(guess)'?); the geometries are "
                                  + CalorimeterGeometry.builtInNames.joined(separator: ", "))
        }
        if FileSystem.isDirectory(path) {
            let run = RunDirectory(path: path)
            try run.requireRunFiles()
            context.console.output.write(run.contents().description + "\n")
            // The checks generate makes, for every Flow II the run has (the student first).
            let stages = [FlowStage.student, .teacher].filter { FileSystem.exists(run.checkpointPath(stage: $0.rawValue, .best)) }
            if stages.isEmpty { _ = try ShowerGenerator.validated(run: run, stage: .teacher) }
            for stage in stages { _ = try ShowerGenerator.validated(run: run, stage: stage) }
        } else if let header = try? CheckpointHeader.read(from: path) {
            var text = header.summary
            text += "\ngeometry: " + (try ModelCheckpoint.geometry(path: path)).description
                + (header.jsonAttributes[ModelCheckpoint.geometryAttribute] == nil
                   ? " (not recorded: checkpoints written before geometries were recorded are CaloGAN models)" : "")
            if header.kind != FlowStage.flow1.rawValue, FlowStage(rawValue: header.kind) != nil,
               let layout = LayerFlowLayout(try ModelCheckpoint.geometry(path: path)) {
                text += "\nmodel form: iCaloFlow layer flow, one layer of \(layout.voxelsPerLayer) voxels given the previous one "
                    + "(context \(layout.contextFeatures) values), sampled \(layout.layers) times per shower"
            }
            for (name, json) in header.jsonAttributes.sorted(by: { $0.key < $1.key }) where name != ModelCheckpoint.geometryAttribute {
                text += "\n\(name): \(json)"
            }
            context.console.output.write(text + "\n")
            // A flow checkpoint must load as generate would load it (finite, consistent shapes,
            // sane architecture, valid permutations); a last checkpoint also as resume reads it.
            if let stage = FlowStage(rawValue: header.kind) { _ = try ModelCheckpoint.load(path: path, stage: stage) }
            else { _ = try Checkpoint.read(from: path) }
        } else {
            let summary = try ShowerFileSummary(path: path, maxEvents: limit, geometry: try geometry.resolve())
            context.console.output.write(summary.description + "\n")
        }
    }
}
