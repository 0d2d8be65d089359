namespace EventCase.Import.Running;

/// <summary>A file that cannot be imported at all: empty, without a header, or not UTF-8 (UTF-16, UTF-32). Thrown
/// before anything is written.</summary>
/// <param name="problem">What is wrong, as a sentence.</param>
public sealed class InvalidImportFileException(string problem) : Exception("Invalid import file: " + problem);
