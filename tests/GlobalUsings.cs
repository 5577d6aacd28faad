global using CoreDump.Tests.Support;
global using NUnit.Framework;
