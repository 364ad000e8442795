/**
 * The output of `npx projen release` in dist/: a version above 0.0.0 in the 0.x series, its tag and changelog entry,
 * and an artifact for every language at that version (the npm tarball; the Python, Java, .NET and Go bindings as
 * generated sources, which the release workflow packages on runners with those toolchains). The registry names and
 * metadata agree with each other and with the README's install lines, and the maturity is not "stable" before 1.0.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Findings, readmeInstallLines, ROOT, run, sorted } from './release-support';

const DIST = path.join(ROOT, 'dist');
const read = (file: string) => fs.readFileSync(path.join(DIST, file), 'utf8');
const findings = new Findings('release');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const targets = pkg.jsii.targets;

// Version, tag, changelog.
const version = read('version.txt').trim();
const semver = version.match(/^(\d+)\.(\d+)\.(\d+)$/);
findings.expect(semver !== null && semver[1] === '0' && version !== '0.0.0', `version ${version} is not a 0.x release above 0.0.0`);
findings.expect(read('releasetag.txt').trim() === `v${version}`, `release tag '${read('releasetag.txt').trim()}' is not v${version}`);
const changelog = read('changelog.md');
findings.expect(new RegExp(`^##? \\[?${version.replace(/\./g, '\\.')}\\]?`, 'm').test(changelog), `changelog.md has no entry headed ${version}`);

// npm: the tarball, its manifest and its assembly carry the version.
const tarballs = fs.readdirSync(path.join(DIST, 'js')).filter((f) => f.endsWith('.tgz'));
findings.expect(tarballs.length === 1 && tarballs[0].includes(version), `dist/js holds ${tarballs.join(', ') || 'nothing'}, not one tarball of ${version}`);
const tarball = path.join(DIST, 'js', tarballs[0]);
const packed = JSON.parse(run('tar', ['-xOzf', tarball, 'package/package.json']));
const assembly = JSON.parse(run('tar', ['-xOzf', tarball, 'package/.jsii']));
findings.expect(packed.version === version && assembly.version === version, `the tarball says ${packed.version}, its assembly ${assembly.version}`);
for (const field of ['homepage', 'license', 'repository', 'keywords', 'engines']) {
  findings.expect(packed[field] !== undefined, `the npm manifest has no ${field}`);
}
findings.expect(packed.stability !== 'stable', `a 0.x release is marked '${packed.stability}'`);

// Python: distribution, version, maturity, metadata, requirements.
const setup = JSON.parse(read('bindings/python/setup.py').match(/"""\n([\s\S]*?)\n"""/)![1]);
findings.expect(setup.name === targets.python.distName && setup.version === version, `PyPI: ${setup.name} ${setup.version}`);
findings.expect(fs.existsSync(path.join(DIST, 'bindings/python/src', targets.python.module)), `PyPI: no module ${targets.python.module}`);
findings.expect(setup.classifiers.includes('Development Status :: 4 - Beta') && !setup.classifiers.some((c: string) => c.includes('Production/Stable')),
  `PyPI: classifiers say ${setup.classifiers.filter((c: string) => c.startsWith('Development Status')).join(', ')}`);
findings.expect(setup.url === pkg.homepage && setup.license === pkg.license && setup.project_urls?.Source !== undefined, 'PyPI: homepage, licence or source missing');
const pythonRequires = setup.install_requires.map((r: string) => r.split(/[<>=~ ]/)[0]).filter((n: string) => !['jsii', 'publication'].includes(n));

// Java: coordinates, version, metadata, dependencies.
const pom = read('bindings/java/pom.xml');
const own = `${targets.java.maven.groupId}:${targets.java.maven.artifactId}`;
findings.expect(pom.includes(`<groupId>${targets.java.maven.groupId}</groupId>\n  <artifactId>${targets.java.maven.artifactId}</artifactId>\n  <version>${version}</version>`),
  `Maven: ${own} is not at ${version}`);
for (const element of ['url', 'licenses', 'scm', 'description']) findings.expect(pom.includes(`<${element}>`), `Maven: the POM has no <${element}>`);
const javaDependencies = new Map([...pom.matchAll(/<dependency>\s*<groupId>([^<]+)<\/groupId>\s*<artifactId>([^<]+)<\/artifactId>\s*<version>([^<]+)<\/version>/g)]
  .map((m) => [`${m[1]}:${m[2]}`, m[3]] as [string, string])
  .filter(([coordinates]) => !/^(software\.amazon\.jsii|org\.jetbrains|javax\.annotation):/.test(coordinates)));

// .NET: package id, version, metadata, references.
const csproj = read(`bindings/dotnet/${targets.dotnet.packageId}/${targets.dotnet.packageId}.csproj`);
const property = (name: string) => csproj.match(new RegExp(`<${name}>([^<]*)</${name}>`))?.[1];
findings.expect(property('PackageId') === targets.dotnet.packageId && property('PackageVersion') === version, `NuGet: ${property('PackageId')} ${property('PackageVersion')}`);
for (const name of ['ProjectUrl', 'RepositoryUrl', 'PackageLicenseExpression', 'PackageTags']) findings.expect(property(name) !== undefined, `NuGet: no ${name}`);
findings.expect(/Stability: Experimental/.test(property('Description') ?? ''), 'NuGet: the description does not state the experimental stability');
const nugetReferences = [...csproj.matchAll(/<PackageReference Include="([^"]+)"/g)].map((m) => m[1]).filter((n) => n !== 'Amazon.JSII.Runtime');

// Go: module path and version.
const goPackage = fs.readdirSync(path.join(DIST, 'bindings/go'))[0];
const goMod = read(`bindings/go/${goPackage}/go.mod`);
const goModule = goMod.match(/^module (\S+)/m)?.[1];
findings.expect(goModule === `${targets.go.moduleName}/${goPackage}`, `Go: module ${goModule}`);
findings.expect(read(`bindings/go/${goPackage}/version`).trim() === version, `Go: version file says ${read(`bindings/go/${goPackage}/version`).trim()}`);
const goRequires = [...goMod.matchAll(/^\t(\S+) v\S+$/gm)].map((m) => m[1]).filter((m) => m !== 'github.com/aws/jsii-runtime-go');

// The README's install line for each language names exactly the package and the peers it needs there.
const readme = readmeInstallLines();
const same = (registry: string, written: string[], needed: string[]) =>
  findings.expect(sorted(written).join(' ') === sorted(needed).join(' '), `README ${registry} line names ${sorted(written).join(', ')}; it needs ${sorted(needed).join(', ')}`);
same('npm', readme.npm, [pkg.name, ...Object.keys(pkg.peerDependencies)]);
same('pip', readme.pip, [setup.name, ...pythonRequires]);
same('Maven', [...readme.maven.keys()], [own, ...javaDependencies.keys()]);
for (const [coordinates, range] of javaDependencies) {
  findings.expect(readme.maven.get(coordinates) === range, `README Maven: ${coordinates} at ${readme.maven.get(coordinates)}, the POM needs ${range}`);
}
same('NuGet', readme.nuget, [targets.dotnet.packageId, ...nugetReferences]);
same('Go', readme.go, [goModule ?? '', ...goRequires]);

findings.report(`${version} (tag v${version}), changelog entry, ${tarballs[0]}; PyPI ${setup.name}, Maven ${own}, NuGet ${targets.dotnet.packageId}, ` +
  `Go ${goModule} at ${version}; README install lines match`);
