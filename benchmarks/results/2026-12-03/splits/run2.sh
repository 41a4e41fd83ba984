#!/bin/bash
# before/after JMH, interleaved per benchmark; before = main at b3a4ee0, after = main with split15 + grpc12
O="-f 1 -wi 3 -i 5 -w 1s -r 1s -t 1 -prof gc"
run() { # name args...
  local name=$1; shift
  for v in before after; do
    java -jar /tmp/benchmarks-$v.jar "$@" $O -rf json -rff /tmp/jmh/$name-$v.json > /tmp/jmh/$name-$v.txt 2>&1
  done
}
run admit AdmitBenchmark -p contender=FLOOR,RESILIENCE4J_BULKHEAD,SLUICE_VEGAS
run reject RejectBenchmark -p contender=RESILIENCE4J_BULKHEAD,SLUICE
run detector DetectorReadBenchmark
run executor ExecutorBenchmark -p contender=BARE_EXECUTOR,ADMISSION_EXECUTOR
run exreject ExecutorRejectBenchmark
run permit PermitOperationsBenchmark
run grpc 'GrpcBenchmark.(bareLimiter|limiterWithHeaderLookup|interceptorAdmit|interceptorAdmitUnwrapped|inProcessCall|inProcessCallIntercepted)$'
echo done > /tmp/jmh/DONE
