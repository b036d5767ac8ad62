/// Which network the classifier test trains. Both are MLPs trained with BCE with logits and
/// Adam, keep the epoch with the best validation accuracy and calibrate on the validation set
/// with isotonic regression (`ClassifierTraining.run`); they differ in size and schedule.
/// The raw values are the command-line names.
public enum ClassifierArchitecture: String, CaseIterable, Sendable, Codable {
    /// CaloFlow's DNN (method §6.1): 3 hidden layers of 512, LeakyReLU(0.01), lr 1e-3,
    /// batch 1000, at most 50 epochs with patience 8 (`ClassifierTrainingOptions()`).
    case caloflow
    /// The CaloChallenge's classifier (evaluate.py, `DNN(num_layer=2, num_hidden=2048,
    /// dropout_probability=0)`): 2 hidden layers of 2048, LeakyReLU (PyTorch's default slope
    /// 0.01), lr 2e-4, batch 1000, 50 epochs without early stopping.
    case calochallenge

    /// Short title, e.g. "CaloChallenge 2x2048".
    public var title: String {
        switch self {
        case .caloflow: return "CaloFlow 3x512"
        case .calochallenge: return "CaloChallenge 2x2048"
        }
    }

    /// The training options of the architecture; split fractions (60/20/20) and input
    /// standardisation are the same for both.
    public var options: ClassifierTrainingOptions {
        switch self {
        case .caloflow: return ClassifierTrainingOptions()
        case .calochallenge: return .calochallenge
        }
    }

    /// Parses a command-line name; throws naming the choices.
    public static func parse(_ text: String) throws -> ClassifierArchitecture {
        guard let a = ClassifierArchitecture(rawValue: text.trimmed) else {
            throw EvaluationError("unknown classifier architecture '\(text)'; use " + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return a
    }
}

extension ClassifierTrainingOptions {
    /// The CaloChallenge classifier's hyperparameters (see `ClassifierArchitecture.calochallenge`).
    public static var calochallenge: ClassifierTrainingOptions {
        var o = ClassifierTrainingOptions()
        o.hidden = [2048, 2048]
        o.leakySlope = 0.01
        o.learningRate = 2e-4
        o.batchSize = 1000
        o.maxEpochs = 50
        o.patience = 0
        return o
    }
}
