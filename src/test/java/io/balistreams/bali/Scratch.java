package io.balistreams.bali;

public class Scratch {
    public static void main(String[] a) {
        Rng rng = new Rng(1);
        int n = 400;
        double[][] x = new double[n][1];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double v = rng.nextDouble() * 4 - 2; // [-2,2] without gap -> gap
            v = v < 0 ? v - 1 : v + 1; // [-3,-1] U [1,3]
            x[i][0] = v;
            y[i] = Math.sin(v) + 0.1 * rng.nextGaussian();
        }
        String act = a.length > 0 ? a[0] : "TANH";
        double kappa = a.length > 1 ? Double.parseDouble(a[1]) : 1;
        BaliConfig cfg = BaliConfig.regression(1, 50, 50, 1).activation(Activation.valueOf(act)).dataScale(n)
                .hiddenKappa(kappa).seed(3).build();
        BaliModel m = new BaliModel(cfg);
        int b = 32;
        for (int epoch = 0; epoch < 20; epoch++) {
            int[] perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--) { int j = rng.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
            for (int s = 0; s < n; s += b) {
                int e = Math.min(n, s + b);
                double[][] bx = new double[e - s][];
                double[] by = new double[e - s];
                for (int i = s; i < e; i++) { bx[i - s] = x[perm[i]]; by[i - s] = y[perm[i]]; }
                UpdateResult r = m.learn(bx, by);
                if (!r.accepted()) System.out.println(r);
            }
            double se = 0;
            for (int i = 0; i < n; i++) { double d = m.predict(x[i]).mean() - y[i]; se += d * d; }
            System.out.printf("epoch %d rmse %.4f sigma %.4f%n", epoch, Math.sqrt(se / n), Math.sqrt(m.predict(x[0]).aleatoricVariance()));
        }
        for (double v : new double[]{-5, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 5}) {
            RegressionPrediction p = m.predict(new double[]{v});
            RegressionPrediction q = m.predictMonteCarlo(new double[]{v});
            System.out.printf("x=%5.2f mean %.3f (sin %.3f) sd %.3f epi %.4f lev %.4f | mc mean %.3f sd %.3f%n", v, p.mean(), Math.sin(v), p.standardDeviation(), Math.sqrt(p.epistemicVariance()), p.leverage(), q.mean(), q.standardDeviation());
        }
    }
}
