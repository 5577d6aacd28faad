global using NUnit.Framework;
global using CoreDump.Tests.Support;
