// Checks what the consumer's build printed, then runs the jlink image.
import java.lang.module.ModuleFinder

def target = new File(basedir, 'target')
def modulePath = new File(target, 'module-path.txt').text
assert modulePath.contains('served GET /')
assert modulePath.contains('on the module path: in flight 0, Sluice in module io.sluice')
def classPath = new File(target, 'class-path.txt').text
assert classPath.contains('served GET /')
assert classPath.contains('on the class path: in flight 0, Sluice in the unnamed module')

// jlink links named modules only. While sluice-core requires an automatic module (HdrHistogram,
// for the simulator that is leaving core), jlink must refuse for exactly that reason; once core
// requires none, the image must link and run.
def finder = ModuleFinder.of(new File(target, 'mods').toPath())
def core = finder.find('io.sluice').orElseThrow()
def automatic = core.descriptor().requires().findAll { r ->
  finder.find(r.name()).map { it.descriptor().isAutomatic() }.orElse(false)
}*.name()
def jlink = new File(target, 'jlink.txt').text
if (!automatic.isEmpty()) {
  assert jlink.contains('automatic module cannot be used with jlink') : jlink
  println "jlink refused, as expected while io.sluice requires automatic modules ${automatic}"
  return true
}
def windows = System.getProperty('os.name').startsWith('Windows')
def javaExe = new File(target, 'image/bin/java' + (windows ? '.exe' : ''))
assert javaExe.canExecute() : jlink
def run = [javaExe.path, '--module', 'com.example.consumer/com.example.consumer.QuickStart', 'jlink image']
    .execute()
def out = run.text
assert run.waitFor() == 0
assert out.contains('on the jlink image: in flight 0, Sluice in module io.sluice') : out
println 'jlink image runs the quick start'
return true
