/// `caloflow version`: the same facts as `caloflow --version`, as a command so that
/// `caloflow help version` documents them.
public struct VersionCommand: Command {
    public static let name = "version"
    public static let abstract = "Print the version, build configuration and OpenBLAS kernel."
    public static let discussion = """
        The OpenBLAS line says which kernel family the matrix products use and who chose it. \
        "Prescott" or another generic name means OpenBLAS did not recognise the CPU and runs \
        several times slower; caloflow then restarts itself with OPENBLAS_CORETYPE set from \
        the CPU flags, unless you set OPENBLAS_CORETYPE yourself.
        """
    public static let options: [OptionSpec] = []

    public init(_ arguments: ParsedArguments) throws {}

    public func run(_ context: CommandContext) throws {
        context.console.output.write(BuildInfo.versionText())
    }
}
