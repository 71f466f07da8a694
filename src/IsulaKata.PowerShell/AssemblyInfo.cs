using System.Runtime.Versioning;

// The module configures Linux hosts and uses Linux-only APIs (file modes, owners, flock).
[assembly: SupportedOSPlatform("linux")]
