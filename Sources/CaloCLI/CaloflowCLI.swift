import CaloTensor

/// Entry point of the `caloflow` executable.
public enum CaloflowCLI {
    public static func main() {
        print("caloflow (skeleton) BLAS core: \(BLASRuntime.coreName)")
    }
}
