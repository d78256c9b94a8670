"""Malmquist technologies (contemporaneous / sequential / window / global) × orientation × RTS on deaR's data.

Data: Wang, Y. & Lan, Y. (2011) "Measuring Malmquist productivity index: a new approach based on double
frontiers DEA", Mathematical and Computer Modelling 54, 2760–2771 — the industrial economy of 31 Chinese
provinces 2005–2009 (inputs capital, labour; output GIOV), as shipped in the R package deaR 1.5.3
(github.com/cran/deaR, commit e41ed3d7, data/Economy.RData; decoded with the Python package ``rdata``;
data/EconomyLong.RData holds the same values in long format).

References, both independent of nqpf's LP engine:

(a) ``_reference``: a literal, slow second implementation — one scipy ``linprog`` (HiGHS) envelopment LP per
    efficiency, on the unscaled data, with the reference sets of deaR's ``malmquist_index`` (R/malmquist_index.R):
    type1 "cont" = period-s observations; "seq" = all observations of periods ≤ s (``inputfront2``);
    "glob" = all periods; window = the ``window`` periods ending at s (not in deaR). Formulas (deaR,
    type2 "fgnz"; ``eff`` CRS, ``effv`` VRS, ``eff12`` = period-(t+1) data against technology t,
    ``eff21`` = period-t data against technology t+1; output orientation uses 1/φ like deaR's ``1/eff``):
    ``ec = eff[t+1]/eff[t]``, ``tc = sqrt(eff12/eff[t+1] · eff[t]/eff21)``, ``mi = ec·tc``,
    ``pech = effv[t+1]/effv[t]``, ``sech = (effv[t]/eff[t]) / (effv[t+1]/eff[t+1])``; global:
    ``ec`` contemporaneous, ``tc = (effg[t+1]·eff[t]) / (eff[t+1]·effg[t])`` (Pastor & Lovell 2005). With
    rts="vrs" nqpf uses VRS distances throughout (effch = deaR's VRS ``pech``; techch = deaR's type2 "bias"
    tc with tc_vrs=TRUE, which reduces to the fgnz formula on VRS distances; global: deaR's rts="vrs" ``tc``).
(b) Published numbers: deaR's documentation and examples print no values for this data set and its CRAN
    sources carry no tests, so the published check uses the R package ``productivity`` (Dakpo, Desjeux &
    Latruffe; ``malm()``, contemporaneous technology, scaled = FALSE) on deaR's EconomyLong, as stored by
    Riksrevisjonen/pioneeR in tests/testdata/productivity-results.RDS (commit 6e66148e; made by
    tests/script/create-testdata-malmquist.R): chnEconomy in_vrs / out_vrs "Changes" (malmquist, effch,
    tech, pure.inp.effch, inp.scalech, pure.out.effch, out.scalech), printed to 8 decimals.

Regression (issue: sequential/window pech was computed on the contemporaneous frontiers, bit-identical to the
contemporaneous pech, so sech = effch/pech mixed frontiers; max |Δ| to (a) was 0.117 for output-oriented
sequential pech).
"""

from __future__ import annotations

import io
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from nqpf.productivity import malmquist

YEARS = (2005, 2006, 2007, 2008, 2009)

# deaR data/Economy.RData (Wang & Lan 2011): DMU, then (Capital, Labor, GIOV) for 2005, 2006, …, 2009
_ECONOMY = """
    Beijing      12829.79 116.97 6946.07 14244.40 117.36 8210.00 16215.50 119.25 9648.38 16802.42 123.38 10413.09 19540.70 120.41 11039.13
    Tianjin      6347.92 122.17 6774.10 7129.02 116.33 8527.70 8329.26 120.76 10075.07 10351.21 133.12 12503.25 12617.69 136.82 13083.63
    Hebei        9473.70 292.21 11008.12 11250.95 303.35 13489.80 13721.58 303.21 17054.78 17261.75 316.85 23030.73 20662.67 319.94 24062.76
    Shanxi_1     7045.09 213.20 4850.91 8865.50 220.59 5902.84 10896.32 216.34 7791.71 13452.67 214.93 10023.87 15424.51 211.11 9249.98
    Neimenggu    4595.89 83.70 2995.59 5605.92 90.72 4140.05 7512.36 93.28 5812.96 10089.30 104.57 8740.18 11650.94 110.40 10699.44
    Liaoning     11902.12 276.55 10814.51 14140.89 303.02 14167.95 17034.52 328.02 18249.53 22040.91 366.23 24769.09 25333.81 386.62 28152.73
    Jilin        4506.88 101.83 3791.96 5449.59 105.21 4752.72 6024.60 109.33 6486.01 7525.18 126.99 8406.85 8525.06 137.05 10026.50
    Heilongjiang 5174.47 136.85 4714.91 5690.43 140.31 5440.17 6578.79 142.94 6143.17 7826.92 155.99 7624.54 8860.63 144.48 7301.60
    Shangai      15905.94 259.63 15767.51 17926.10 266.84 18573.13 20656.75 282.12 22259.94 22750.35 304.01 25120.92 24595.29 284.12 24091.26
    Jiangsu      25488.86 704.24 32707.09 30500.98 774.50 41410.40 38011.22 861.05 53316.38 48321.94 1104.06 67798.68 53600.08 1026.16 73200.03
    Zhejiang     20609.30 659.12 23106.76 24895.59 726.94 29129.94 30581.98 790.93 36073.93 35550.76 814.55 40832.10 39752.79 787.64 41035.29
    Anhui        5067.10 155.21 4567.23 6234.68 164.81 5915.59 7873.16 178.21 7945.17 10122.18 210.80 11162.16 12171.72 232.06 13312.59
    Fujian       6841.37 290.41 8135.98 8168.75 324.89 10005.08 10157.20 359.16 12517.91 11694.91 380.06 15212.81 13344.47 379.47 16762.82
    Jiangxi      3058.34 112.11 2978.88 3671.41 125.80 4245.49 4688.79 140.73 6194.18 6420.95 178.56 8499.58 7018.93 174.94 9783.96
    Shandong     22131.24 738.23 30522.86 26475.35 788.11 38780.10 31994.91 830.48 49873.00 39224.51 912.70 62958.53 46052.69 926.60 71209.42
    Henan        9158.03 362.79 10487.38 11026.18 365.28 13889.77 13788.00 382.23 20442.21 17316.86 417.36 26028.41 19668.61 449.14 27708.15
    Hubei        8683.39 188.30 6066.96 9694.56 190.85 7454.07 12107.24 200.35 9601.52 15431.43 235.90 13454.94 19221.02 272.39 15567.02
    Hunan        4611.60 169.25 4754.86 5582.18 178.15 6131.18 6832.01 195.47 8464.08 8856.19 225.55 11553.31 10175.11 241.01 13507.64
    Guangdong    27076.08 1085.65 35942.74 33869.53 1203.58 44674.75 39821.97 1307.40 55252.86 45750.15 1493.38 65424.61 50321.88 1436.02 68275.77
    Guangxi      3009.98 91.21 2547.32 3504.89 91.37 3356.76 4761.72 99.52 4587.35 5981.12 114.60 6071.98 6840.57 122.88 6880.04
    Hainan       791.28 12.10 473.06 961.15 12.20 640.26 1133.35 12.33 1002.78 1207.77 12.61 1103.07 1291.39 12.00 1057.45
    Chongqing    3091.96 92.42 2525.87 3603.06 96.10 3213.45 4412.77 108.27 4363.25 5521.03 132.13 5755.90 6438.31 137.29 6772.90
    Sichuan      7908.62 218.99 6178.03 9182.08 233.53 7934.41 11690.21 257.46 11047.04 15589.47 297.54 14761.86 18042.57 311.76 18071.68
    Guizhou      2734.05 68.08 1690.40 3214.39 67.23 2066.77 3521.19 66.62 2520.36 4566.10 73.53 3111.13 5066.17 74.97 3426.69
    Yunnan       3964.32 68.83 2596.21 4808.98 71.55 3393.09 5834.12 82.06 4298.29 7185.11 84.34 5144.58 8174.12 84.20 5197.45
    Tibet        112.43 1.99 27.29 119.87 2.16 33.33 172.18 2.02 41.36 223.87 1.79 48.19 251.08 1.69 51.60
    Shanxi_2     5085.87 118.97 3397.71 6130.02 122.53 4442.81 7494.03 124.11 5692.33 9905.91 131.83 7480.79 12119.26 137.69 8470.40
    Gansu        2483.04 68.62 1988.26 3211.31 68.93 2483.56 3712.44 66.74 3231.52 4497.49 69.13 3667.52 5290.54 69.03 3770.38
    Qinghai      1145.49 14.04 486.86 1382.70 14.64 640.66 1645.94 15.56 822.72 2092.67 17.42 1103.10 2525.56 17.80 1080.35
    Ningxia      1113.10 25.58 671.54 1299.05 24.64 859.70 1546.93 25.45 1070.71 2061.86 25.89 1366.46 2676.61 27.28 1461.58
    Sinkiang     2837.00 46.70 2102.53 3375.02 47.93 2683.44 4336.32 53.79 3296.61 5652.57 57.84 4276.05 6438.07 58.25 4001.12
"""
_ECO = pd.read_csv(io.StringIO(_ECONOMY), sep=r"\s+", header=None)
UNITS = tuple(_ECO[0])
_V = _ECO.iloc[:, 1:].to_numpy(float).reshape(len(UNITS), len(YEARS), 3).transpose(1, 0, 2)  # (T, n, 3)
X, Y = _V[:, :, :2], _V[:, :, 2:]
ECONOMY = pd.DataFrame(
    [
        dict(unit=u, year=y, capital=X[t, i, 0], labor=X[t, i, 1], giov=Y[t, i, 0])
        for t, y in enumerate(YEARS)
        for i, u in enumerate(UNITS)
    ]
)

# R package productivity, malm(chnEconomy, rts = "vrs", scaled = FALSE), via pioneeR's productivity-results.RDS:
# unit, year (t+1), malmquist, effch, tech, pure.inp.effch, inp.scalech (orientation "in"),
# pure.out.effch, out.scalech (orientation "out"); malmquist/effch/tech are the CRS ones in both orientations.
_PRODUCTIVITY = """
    Anhui 2006 1.11176568 1.00394720 1.10739456 0.99988867 1.00405899 1.00050488 1.00344059
    Beijing 2006 1.17803553 0.97594748 1.20706858 0.96918673 1.00697569 0.96959165 1.00655516
    Chongqing 2006 1.14293748 1.02804719 1.11175586 1.02310751 1.00482811 1.02472430 1.00324271
    Fujian 2006 1.02990737 0.96972910 1.06205678 0.96879935 1.00095969 0.96860916 1.00115624
    Gansu 2006 1.07968989 0.95418016 1.13153673 0.94586620 1.00878978 0.94527513 1.00942057
    Guangdong 2006 0.99363657 0.93557763 1.06205678 1.00000000 0.93557763 1.00000000 0.93557763
    Guangxi 2006 1.20039307 1.08048984 1.11097118 1.07360106 1.00641651 1.07689342 1.00333962
    Guizhou 2006 1.12006547 0.97928957 1.14375309 0.97831402 1.00099717 0.97644239 1.00291587
    Hainan 2006 1.34234974 1.11207413 1.20706858 1.10192186 1.00921324 1.11865069 0.99412099
    Hebei 2006 1.08131211 0.97936650 1.10409342 0.97732979 1.00208396 0.97720842 1.00220841
    Heilongjiang 2006 1.08300095 0.96451847 1.12284107 0.96420356 1.00032660 0.96310950 1.00146293
    Henan 2006 1.10156152 1.03575561 1.06353420 1.03429094 1.00141612 1.03492553 1.00080207
    Hubei 2006 1.14411103 0.98424333 1.16242701 0.98424510 0.99999821 0.98882937 0.99536215
    Hunan 2006 1.07471899 1.00301260 1.07149101 0.99991745 1.00309540 1.00078273 1.00222813
    Jiangsu 2006 1.10005322 0.98567823 1.11603685 1.00000000 0.98567823 1.00000000 0.98567823
    Jiangxi 2006 1.18721040 1.11784079 1.06205678 1.10828798 1.00861943 1.11400625 1.00344212
    Jilin 2006 1.10465646 0.95200935 1.16034203 0.95050171 1.00158616 0.94950031 1.00264249
    Liaoning 2006 1.14082273 0.99370870 1.14804542 0.99715672 0.99654215 1.01163680 0.98227813
    Neimenggu 2006 1.18893562 0.99360554 1.19658715 0.99033500 1.00330245 0.98980541 1.00383926
    Ningxia 2006 1.18552822 1.02167064 1.16038200 1.01928914 1.00233643 1.02045042 1.00119576
    Qinghai 2006 1.26197150 1.04548451 1.20706858 1.04073532 1.00456330 1.04449473 1.00094761
    Shandong 2006 1.08600221 1.00000000 1.08600221 1.00000000 1.00000000 1.00000000 1.00000000
    Shangai 2006 1.14598071 0.94949784 1.20693346 1.00000000 0.94949784 1.00000000 0.94949784
    Shanxi_1 2006 1.04726033 0.93877615 1.11555916 0.93512026 1.00390954 0.93479956 1.00425395
    Shanxi_2 2006 1.15761093 1.00325739 1.15385238 1.00021823 1.00303850 1.00039142 1.00286485
    Sichuan 2006 1.15021184 1.03072763 1.11592220 1.02635112 1.00426414 1.02712272 1.00350971
    Sinkiang 2006 1.23661098 1.02525895 1.20614503 1.02116304 1.00401102 1.02079032 1.00437762
    Tianjin 2006 1.19129336 1.00000000 1.19129336 1.00000000 1.00000000 1.00000000 1.00000000
    Tibet 2006 1.13796149 0.95635465 1.18989487 1.00000000 0.95635465 1.00000000 0.95635465
    Yunnan 2006 1.20816626 1.00585991 1.20112775 1.00249644 1.00335509 1.00149303 1.00436037
    Zhejiang 2006 1.06617014 0.97375973 1.09490063 0.97330951 1.00046257 0.97408913 0.99966185
    Anhui 2007 1.13100078 1.02026731 1.10853378 1.01945095 1.00080078 1.01969642 1.00055987
    Beijing 2007 1.15657275 1.01622102 1.13811142 1.01577093 1.00044310 1.01545931 1.00075011
    Chongqing 2007 1.14188191 1.02633702 1.11257987 1.02679963 0.99954946 1.02753155 0.99883748
    Fujian 2007 1.00621980 0.94553035 1.06418562 0.94837169 0.99700398 0.94704115 0.99840472
    Gansu 2007 1.20278448 1.11127881 1.08234267 1.11080876 1.00042316 1.11372973 0.99779936
    Guangdong 2007 1.05191116 0.98846586 1.06418562 1.00000000 0.98846586 1.00000000 0.98846586
    Guangxi 2007 1.10128279 0.99603180 1.10567032 0.99326329 1.00278728 0.99324032 1.00281047
    Guizhou 2007 1.15614142 1.06656246 1.08398847 1.07198866 0.99493819 1.07148007 0.99541045
    Hainan 2007 1.54969434 1.36163675 1.13811142 1.18245193 1.15153666 1.21874977 1.11724062
    Hebei 2007 1.11731384 1.01330828 1.10263961 1.01210247 1.00119139 1.01211466 1.00117934
    Heilongjiang 2007 1.02910441 0.93084912 1.10555447 0.93417003 0.99644507 0.93196616 0.99880141
    Henan 2007 1.19370909 1.10595946 1.07934254 1.10593782 1.00001957 1.10693938 0.99911475
    Hubei 2007 1.09702699 1.02442974 1.07086601 1.02284875 1.00154568 1.04374507 0.98149420
    Hunan 2007 1.13695333 1.05992138 1.07267705 1.06276907 0.99732049 1.06322581 0.99689206
    Jiangsu 2007 1.08404527 0.97595372 1.11075478 1.00000000 0.97595372 1.00000000 0.97595372
    Jiangxi 2007 1.14242607 1.07352143 1.06418562 1.07588015 0.99780764 1.07767574 0.99614512
    Jilin 2007 1.26252045 1.17375461 1.07562555 1.17339493 1.00030653 1.17693382 0.99729873
    Liaoning 2007 1.11386518 1.02480443 1.08690511 1.03074266 0.99423888 1.03196531 0.99306093
    Neimenggu 2007 1.31966052 1.19983484 1.09986847 1.18388296 1.01347421 1.19578490 1.00338685
    Ningxia 2007 1.09933453 1.02937227 1.06796595 1.03759576 0.99207448 1.03639069 0.99322802
    Qinghai 2007 1.20824757 1.06162503 1.13811142 0.94781616 1.12007483 0.97027459 1.09414906
    Shandong 2007 1.09295561 1.00000000 1.09295561 1.00000000 1.00000000 1.00000000 1.00000000
    Shangai 2007 1.12419097 0.99602712 1.12867505 1.00000000 0.99602712 1.00000000 0.99602712
    Shanxi_1 2007 1.17632975 1.06958139 1.09980387 1.06727894 1.00215732 1.06776171 1.00170420
    Shanxi_2 2007 1.12083590 1.04559436 1.07196054 1.04436545 1.00117671 1.04450735 1.00104069
    Sichuan 2007 1.16142558 1.04743824 1.10882488 1.04617792 1.00120469 1.04678687 1.00062225
    Sinkiang 2007 1.09466584 0.96182660 1.13811142 0.93743010 1.02602487 0.94469411 1.01813549
    Tianjin 2007 1.09709635 1.00000000 1.09709635 1.00000000 1.00000000 1.00000000 1.00000000
    Tibet 2007 1.19848465 1.08579113 1.10378931 1.00000000 1.08579113 1.00000000 1.08579113
    Yunnan 2007 1.09553972 0.97049584 1.12884535 0.95841864 1.01260117 0.96272419 1.00807256
    Zhejiang 2007 1.03300087 0.94170641 1.09694578 0.94217334 0.99950441 0.94112938 1.00061312
    Anhui 2008 1.13918234 1.05350518 1.08132581 1.05137354 1.00202747 1.05293617 1.00054040
    Beijing 2008 1.04313098 0.92658274 1.12578288 0.92779221 0.99869640 0.92707493 0.99946910
    Chongqing 2008 1.06082938 0.99551116 1.06561274 1.01273729 0.98299053 1.00715478 0.98843910
    Fujian 2008 1.05549149 1.02504347 1.02970412 1.02699205 0.99810264 1.02697272 0.99812143
    Gansu 2008 1.00263751 0.94538281 1.06056244 0.94727731 0.99800006 0.94486812 1.00054472
    Guangdong 2008 1.03066279 1.00093101 1.02970412 0.95867871 1.04407347 0.98485952 1.01631856
    Guangxi 2008 1.09859164 1.02203950 1.07490135 1.01963656 1.00235666 1.02108467 1.00093511
    Guizhou 2008 1.02276967 0.96098131 1.06429715 0.95860895 1.00247480 0.95820537 1.00289702
    Hainan 2008 1.07558664 0.95541215 1.12578288 1.00000000 0.95541215 1.00000000 0.95541215
    Hebei 2008 1.17359377 1.09129501 1.07541386 1.08891297 1.00218754 1.09208293 0.99927852
    Heilongjiang 2008 1.08820506 1.00948931 1.07797581 1.00939749 1.00009096 1.00989301 0.99960026
    Henan 2008 1.03270013 0.98455384 1.04890164 0.98500183 0.99954519 0.98479597 0.99975413
    Hubei 2008 1.13692238 1.07541784 1.05719130 1.07426006 1.00107774 1.08222352 0.99371139
    Hunan 2008 1.05806478 1.02262353 1.03465718 1.02233994 1.00027740 1.02281785 0.99981002
    Jiangsu 2008 0.99591178 0.91786776 1.08502752 1.00000000 0.91786776 1.00000000 0.91786776
    Jiangxi 2008 1.00201711 0.97311168 1.02970412 0.97269875 1.00042452 0.97185232 1.00129583
    Jilin 2008 1.07187279 1.00695172 1.06447287 1.00642647 1.00052190 1.00688469 1.00006657
    Liaoning 2008 1.12117108 1.05158046 1.06617717 1.07765973 0.97580009 1.07659897 0.97676153
    Neimenggu 2008 1.34123375 1.19137871 1.12578288 1.19253967 0.99902648 1.19271267 0.99888157
    Ningxia 2008 1.12543289 1.03036684 1.09226427 1.00475456 1.02549109 1.00868970 1.02149040
    Qinghai 2008 1.19763443 1.06382363 1.12578288 1.08315909 0.98214901 1.09549122 0.97109280
    Shandong 2008 1.05787496 1.00000000 1.05787496 1.00000000 1.00000000 1.00000000 1.00000000
    Shangai 2008 1.04064400 0.95150210 1.09368545 1.00000000 0.95150210 1.00000000 0.95150210
    Shanxi_1 2008 1.14915372 1.07813827 1.06586860 1.07483891 1.00306963 1.07850453 0.99966040
    Shanxi_2 2008 1.11696148 1.03273800 1.08155358 1.02870096 1.00392441 1.03017329 1.00248959
    Sichuan 2008 1.07412056 0.99750303 1.07680933 0.99573775 1.00177284 0.99621735 1.00129056
    Sinkiang 2008 1.20628093 1.07150407 1.12578288 1.07986643 0.99225612 1.07775978 0.99419564
    Tianjin 2008 1.08737123 1.00000000 1.08737123 1.00000000 1.00000000 1.00000000 1.00000000
    Tibet 2008 1.31484553 1.16793883 1.12578288 1.00000000 1.16793883 1.00000000 1.16793883
    Yunnan 2008 1.13452589 1.03442138 1.09677343 1.03509166 0.99935245 1.03733413 0.99719208
    Zhejiang 2008 1.00738862 0.95193685 1.05825152 0.95210034 0.99982829 0.95189076 1.00004842
    Anhui 2009 1.03417466 1.00749739 1.02647875 1.00482902 1.00265555 1.00616865 1.00132059
    Beijing 2009 1.08626912 1.05274956 1.03184002 1.05363652 0.99915819 1.05821001 0.99483992
    Chongqing 2009 1.03321033 1.04742818 0.98642594 1.04329201 1.00396454 1.04624660 1.00112935
    Fujian 2009 0.96567991 1.00241556 0.96335286 1.00226118 1.00015403 1.00236545 1.00005000
    Gansu 2009 0.95381213 0.98394477 0.96937567 0.97763330 1.00645587 0.98019503 1.00382551
    Guangdong 2009 0.94877040 0.98486280 0.96335286 0.91546657 1.07580422 0.95838800 1.02762431
    Guangxi 2009 1.02962579 1.00492689 1.02457781 1.00020230 1.00472364 1.00243657 1.00248427
    Guizhou 2009 1.04032260 1.05414549 0.98688711 1.04369225 1.01001564 1.05153414 1.00248337
    Hainan 2009 1.00245419 0.97628865 1.02680103 1.00000000 0.97628865 1.00000000 0.97628865
    Hebei 2009 0.96252876 0.95791648 1.00481491 0.95797503 0.99993889 0.96035469 0.99746114
    Heilongjiang 2009 0.95235339 0.93505099 1.01850424 0.93302294 1.00217363 0.93305084 1.00214366
    Henan 2009 0.94211433 0.97290397 0.96835285 0.97330014 0.99959296 0.97299035 0.99991122
    Hubei 2009 0.96787515 0.99044909 0.97720838 0.99060313 0.99984450 0.97634653 1.01444421
    Hunan 2009 1.01760882 1.05631992 0.96335286 1.05446303 1.00176099 1.05601553 1.00028824
    Jiangsu 2009 1.03788628 1.03617049 1.00165590 1.00000000 1.03617049 1.00000000 1.03617049
    Jiangxi 2009 1.05304172 1.09310073 0.96335286 1.09099461 1.00193046 1.09427011 0.99893137
    Jilin 2009 1.08226869 1.08211074 1.00014597 1.07937816 1.00253163 1.08167929 1.00039887
    Liaoning 2009 1.03724897 1.04432613 0.99322322 1.02520670 1.01864934 1.02284337 1.02100298
    Neimenggu 2009 1.15426884 1.12374129 1.02716600 1.12030063 1.00307119 1.12153704 1.00196538
    Ningxia 2009 0.98225378 0.99112964 0.99104471 0.96366355 1.02850174 0.98035458 1.01099098
    Qinghai 2009 0.95846827 0.92889232 1.03184002 0.94627324 0.98163224 0.93644198 0.99193793
    Shandong 2009 1.00156339 1.00000000 1.00156339 1.00000000 1.00000000 1.00000000 1.00000000
    Shangai 2009 0.98600167 1.01180060 0.97450196 1.00000000 1.01180060 1.00000000 1.01180060
    Shanxi_1 2009 0.87549817 0.89508915 0.97811282 0.89582545 0.99917808 0.89381452 1.00142606
    Shanxi_2 2009 1.04016328 1.06417920 0.97743245 1.06069870 1.00328133 1.06399179 1.00017615
    Sichuan 2009 1.12194047 1.09977237 1.02015698 1.09823994 1.00139535 1.10033451 0.99948913
    Sinkiang 2009 0.92548954 0.90044831 1.02780973 0.90392511 0.99615367 0.90061419 0.99981581
    Tianjin 2009 0.98353495 1.00000000 0.98353495 1.00000000 1.00000000 1.00000000 1.00000000
    Tibet 2009 1.13412024 1.09912411 1.03184002 1.00000000 1.09912411 1.00000000 1.09912411
    Yunnan 2009 0.99295931 0.98908166 1.00392045 0.99201877 0.99703926 0.98989202 0.99918136
    Zhejiang 2009 0.93925286 0.93522667 1.00430504 0.93532306 0.99989694 0.93535160 0.99986643
"""
PRODUCTIVITY = pd.read_csv(
    io.StringIO(_PRODUCTIVITY),
    sep=r"\s+",
    header=None,
    names=["unit", "period", "mi", "ec", "tc", "pech_in", "sech_in", "pech_out", "sech_out"],
).set_index(["unit", "period"])


@cache
def _farrell(i: int, d: int, periods: tuple[int, ...], rts: str, orientation: str) -> float:
    """Farrell efficiency of unit i's period-d data against the DEA technology of the periods given.

    input: min θ s.t. Σ_j λ_j x_j ≤ θ x_0, Σ_j λ_j y_j ≥ y_0, λ ≥ 0 (Σ λ = 1 under VRS) → θ;
    output: max φ s.t. Σ_j λ_j x_j ≤ x_0, Σ_j λ_j y_j ≥ φ y_0 (…) → 1/φ. NaN when infeasible."""
    x0, y0 = X[d, i], Y[d, i]
    Xr = np.concatenate([X[p] for p in periods])
    Yr = np.concatenate([Y[p] for p in periods])
    n, m, s = len(Xr), Xr.shape[1], Yr.shape[1]
    if orientation == "input":
        c = np.r_[1.0, np.zeros(n)]
        A = np.vstack([np.c_[-x0[:, None], Xr.T], np.c_[np.zeros((s, 1)), -Yr.T]])
        b = np.r_[np.zeros(m), -y0]
    else:
        c = np.r_[-1.0, np.zeros(n)]
        A = np.vstack([np.c_[np.zeros((m, 1)), Xr.T], np.c_[y0[:, None], -Yr.T]])
        b = np.r_[x0, np.zeros(s)]
    eq = {}
    if rts == "vrs":
        eq = dict(A_eq=np.r_[0.0, np.ones(n)][None, :], b_eq=[1.0])
    res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] + [(0, None)] * n, method="highs", **eq)
    if res.status != 0:
        return np.nan
    return res.x[0] if orientation == "input" else 1.0 / res.x[0]


def _periods(technology: str, s: int, window: int) -> tuple[int, ...]:
    """deaR's reference set of technology s (period positions)."""
    if technology == "contemporaneous":
        return (s,)
    if technology == "sequential":
        return tuple(range(s + 1))
    if technology == "window":
        return tuple(range(max(0, s - window + 1), s + 1))
    return tuple(range(len(YEARS)))  # global


def _reference(technology: str, orientation: str, rts: str, window: int = 3) -> pd.DataFrame:
    """deaR's malmquist_index definitions, one LP per efficiency (see the module docstring)."""
    rows = []
    own = "contemporaneous" if technology == "global" else technology  # effch of the global index
    for t in range(len(YEARS) - 1):
        for i, u in enumerate(UNITS):

            def E(s, d, r=rts, i=i):
                return _farrell(i, d, _periods(own, s, window), r, orientation)

            eff_t, eff_t1 = E(t, t), E(t + 1, t + 1)
            ec = eff_t1 / eff_t
            if technology == "global":
                effg = [_farrell(i, d, _periods("global", 0, window), rts, orientation) for d in (t, t + 1)]
                tc = (effg[1] * eff_t) / (eff_t1 * effg[0])
            else:
                eff12, eff21 = E(t, t + 1), E(t + 1, t)
                tc = np.sqrt((eff12 / eff_t1) * (eff_t / eff21))
            row = dict(unit=u, period=YEARS[t + 1], effch=ec, techch=tc, tfpch=ec * tc)
            if rts == "crs":
                effv_t, effv_t1 = E(t, t, "vrs"), E(t + 1, t + 1, "vrs")
                row["pech"] = effv_t1 / effv_t
                row["sech"] = (effv_t / eff_t) / (effv_t1 / eff_t1)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["unit", "period"])


def _run(**kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = malmquist(ECONOMY, ["capital", "labor"], "giov", id="unit", period="year", **kw)
    return r.set_index(["unit", "period"])


COMBOS = [
    (tech, o, rts)
    for tech in ("contemporaneous", "sequential", "window", "global")
    for o in ("input", "output")
    for rts in ("crs", "vrs")
]


@pytest.mark.parametrize("technology,orientation,rts", COMBOS)
def test_matches_literal_lp_reference_on_deaR_economy(technology, orientation, rts):
    ref = _reference(technology, orientation, rts)
    got = _run(technology=technology, window=3, orientation=orientation, rts=rts).loc[ref.index]
    for c in ref.columns:
        a, b = got[c].to_numpy(float), ref[c].to_numpy(float)
        # VRS cross-period LPs are infeasible for a few units (e.g. Jiangsu's 2006 output beyond any 2005 unit)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=c)
        np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-8, atol=1e-10, err_msg=c)
    bad = got["tfpch"].isna()
    assert (got.loc[bad, "status"] == "infeasible").all() and (got.loc[~bad, "status"] == "optimal").all()


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_contemporaneous_matches_published_productivity_package(orientation):
    got = _run(orientation=orientation, rts="crs").loc[PRODUCTIVITY.index]
    sfx = "in" if orientation == "input" else "out"
    pairs = [
        ("tfpch", "mi"),
        ("effch", "ec"),
        ("techch", "tc"),
        ("pech", f"pech_{sfx}"),
        ("sech", f"sech_{sfx}"),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(got[ours], PRODUCTIVITY[theirs], atol=1e-8, rtol=0, err_msg=ours)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_sequential_and_window_pech_use_their_own_frontier(orientation):
    """Regression: pech/sech of the sequential and window technologies were those of the contemporaneous one."""
    con = _run(orientation=orientation)
    for tech in ("sequential", "window"):
        r = _run(technology=tech, window=3, orientation=orientation)
        later = r.index.get_level_values("period") > 2006  # from 2006 on the frontiers differ
        assert np.abs(r.loc[later, "pech"] - con.loc[later, "pech"]).max() > 1e-3, tech
        # pech·sech = effch of the same technology (not of the contemporaneous one)
        np.testing.assert_allclose(r["pech"] * r["sech"], r["effch"], rtol=1e-12)
        ref = _reference(tech, orientation, "crs")
        np.testing.assert_allclose(r.loc[ref.index, "pech"], ref["pech"], rtol=1e-8)
        np.testing.assert_allclose(r.loc[ref.index, "sech"], ref["sech"], rtol=1e-8)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_identities_across_technologies(orientation):
    con = _run(orientation=orientation)
    seq = _run(technology="sequential", orientation=orientation)
    glob = _run(technology="global", orientation=orientation)
    for r in (con, seq, glob, _run(technology="window", window=2, orientation=orientation)):
        np.testing.assert_allclose(r["effch"], r["pech"] * r["sech"], rtol=1e-12)
        np.testing.assert_allclose(r["tfpch"], r["effch"] * r["techch"], rtol=1e-12)
    # window of one period is the contemporaneous technology, every column
    w1 = _run(technology="window", window=1, orientation=orientation)
    cols = ["tfpch", "effch", "techch", "pech", "sech", "d_t_t", "d_t_t1", "d_t1_t", "d_t1_t1"]
    np.testing.assert_allclose(w1[cols], con[cols], rtol=1e-10)
    # a window covering all periods is the sequential technology
    wall = _run(technology="window", window=len(YEARS), orientation=orientation)
    np.testing.assert_allclose(wall[cols], seq[cols], rtol=1e-10)
    # in the first period the sequential technology is the contemporaneous one: E_2005(2005), E_2005(2006)
    first = seq.index.get_level_values("period") == 2006
    np.testing.assert_allclose(
        seq.loc[first, ["d_t_t", "d_t_t1"]], con.loc[first, ["d_t_t", "d_t_t1"]], rtol=1e-10
    )
    # ... and so is V_2005(2005): pech(seq)/pech(con) = V^S_2006(2006)/V_2006(2006) ≤ 1 (nested frontiers)
    assert (seq.loc[first, "pech"] <= con.loc[first, "pech"] * (1 + 1e-10)).all()
    # sequential frontiers are nested: no technical regress
    assert (seq["techch"] >= 1 - 1e-9).all()
    # global (Pastor & Lovell 2005): effch and pech/sech contemporaneous, tfpch = E^G(t+1)/E^G(t)
    np.testing.assert_allclose(glob[["effch", "pech", "sech"]], con[["effch", "pech", "sech"]], rtol=1e-10)
    np.testing.assert_allclose(glob["tfpch"], glob["d_g_t1"] / glob["d_g_t"], rtol=1e-12)


@pytest.mark.parametrize("technology", ["contemporaneous", "sequential", "window", "global"])
def test_crs_input_and_output_orientations_agree(technology):
    """Under CRS θ = 1/φ, so effch, techch, tfpch do not depend on the orientation (pech/sech do)."""
    a = _run(technology=technology, orientation="input")
    b = _run(technology=technology, orientation="output")
    np.testing.assert_allclose(a[["tfpch", "effch", "techch"]], b[["tfpch", "effch", "techch"]], rtol=1e-9)
