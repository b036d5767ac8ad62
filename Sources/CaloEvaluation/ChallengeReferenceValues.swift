/// Published Geant4-against-Geant4 numbers of the CaloChallenge (results paper arXiv:2410.21611
/// and the challenge's final_results), to print beside a model's: they are the floor a perfect
/// generator reaches with the same statistics. Keys are caloflow's geometry names.
public enum ChallengeReferenceValues {
    /// FPD × 10³ of Geant4 against Geant4: dataset 1 photons 0.12, pions 0.51, dataset 2 10.8,
    /// dataset 3 8.8. Nil for other geometries.
    public static func geant4FPDTimes1e3(geometry name: String) -> Double? {
        ["ds1-photons": 0.12, "ds1-pions": 0.51, "ds2": 10.8, "ds3": 8.8][name]
    }

    /// Classifier AUC (low-level, high-level) of Geant4 against Geant4, mean of 10 trainings:
    /// dataset 1 photons 0.499 / 0.499, pions 0.609 / 0.558. Nil for other geometries (the
    /// results paper's tables caloflow carries have no such row for datasets 2 and 3).
    public static func geant4AUC(geometry name: String) -> (low: Double, high: Double)? {
        ["ds1-photons": (0.499, 0.499), "ds1-pions": (0.609, 0.558)][name]
    }
}
