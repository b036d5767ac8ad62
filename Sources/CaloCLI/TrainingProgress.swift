import CaloPipeline
import CaloRendering

/// Shows a training loop's progress: one live progress line per stage (loss, epoch, rate, ETA),
/// a log line per epoch, both also in the run's log.txt through the logger.
final class TrainingProgress: TrainingObserver {
    let logger: Logger
    private var progress: ProgressLine?
    private var stepsPerEpoch = 1
    private var epochs = 1

    init(logger: Logger) { self.logger = logger }

    func trainingStarted(stage: String, epochs: Int, stepsPerEpoch: Int, resumedAtEpoch: Int, resumedAtStep: Int) {
        self.stepsPerEpoch = stepsPerEpoch
        self.epochs = epochs
        if resumedAtEpoch > 0 || resumedAtStep > 0 {
            logger.info("\(stage): resuming after epoch \(resumedAtEpoch), step \(resumedAtStep) of the next epoch")
        }
        progress = ProgressLine(label: stage, total: epochs * stepsPerEpoch, unit: "steps", logger: logger, logInterval: 30)
        progress?.update(resumedAtEpoch * stepsPerEpoch + resumedAtStep)
    }

    func stepCompleted(stage: String, epoch: Int, step: Int, stepsPerEpoch: Int, loss: Double) {
        progress?.update((epoch - 1) * stepsPerEpoch + step,
                         fields: ["epoch": "\(epoch)/\(epochs)", "loss": HumanFormat.fixed(loss, 2)])
    }

    func epochCompleted(_ r: MetricsRecord, isBest: Bool) {
        let quality: String
        if r.stage == "student" {
            let kl = r.extra["validation_kl"].map { HumanFormat.fixed($0, 3) } ?? "-"
            quality = "distillation loss \(HumanFormat.fixed(r.trainLoss, 3)), validation KL(student||teacher) \(kl) nats"
        } else {
            let val = r.validationLogLikelihood.map { HumanFormat.fixed($0, 3) } ?? "-"
            quality = "train NLL \(HumanFormat.fixed(r.trainLoss, 3)), validation log-likelihood \(val)"
        }
        logger.info("\(r.stage) epoch \(r.epoch)/\(epochs): \(quality), lr \(r.learningRate), "
                    + "\(HumanFormat.rate(r.showersPerSecond, unit: "showers")), \(HumanFormat.duration(r.seconds))"
                    + (isBest ? " [best]" : ""))
        if r.epoch == epochs { progress?.finish() }
    }

    func note(_ message: String) { logger.info(message) }

    func planRevised(_ plan: SchedulePlan, previousEpochs: Int) {
        logger.info(TrainingOptions.describe(revised: plan, previousEpochs: previousEpochs))
        epochs = plan.plannedEpochs
        progress?.total = epochs * stepsPerEpoch
    }

    func finish() { progress?.finish() }
}

/// Writes `<run>/loss-<stage>.svg`: training NLL and validation NLL per epoch.
func writeLossPlot(run: RunDirectory, stage: String, history: [MetricsRecord]) throws {
    guard !history.isEmpty else { return }
    let epochs = history.map { Double($0.epoch) }
    var series = [LinePlot.Series(label: "training", x: epochs, y: history.map(\.trainLoss))]
    let validation = history.compactMap(\.validationLoss)
    if validation.count == history.count {
        series.append(LinePlot.Series(label: "validation", x: epochs, y: validation, dashed: true))
    }
    let yLabel = stage == "student" ? "distillation loss (training) / KL (validation)" : "negative log-likelihood per shower [nats]"
    let plot = LinePlot(title: "\(stage) loss", xLabel: "epoch", yLabel: yLabel, series: series)
    try AtomicFile.write(text: try plot.svg(), to: run.file("loss-\(stage).svg"))
}
