// Checks what the consumer's build printed on the module path and on the class path.
def target = new File(basedir, 'target')
def refusal = 'refused with 503, RateLimit-Policy: "concurrency";q=1;qu="concurrent-requests"'
def modulePath = new File(target, 'module-path.txt').text
assert modulePath.contains(refusal) : modulePath
assert modulePath.contains('on the module path: Sluice HTTP in module io.sluice.http') : modulePath
def classPath = new File(target, 'class-path.txt').text
assert classPath.contains(refusal) : classPath
assert classPath.contains('on the class path: Sluice HTTP in the unnamed module') : classPath
return true
